"""What a buyer received for each line of an order (licence keys, downloads, enrolments,
bookings), shown on the order page.

Core sells nothing itself: the module that sells a line's product type says what the line
delivered through its manifest's ``purchase_summary`` hook, a dotted path to a function
``(order_line) -> list[Received]``. The hook is loaded through the registry (core never
imports a module) and only for lines that were delivered: nothing is asked of a module for an
unpaid or cancelled line."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from django.utils.module_loading import import_string

from core.commerce.models import LineStatus, OrderLine
from core.registry import get_registry
from core.registry.enablement import enabled_module_keys
from core.registry.registry import UnknownModule

logger = logging.getLogger(__name__)

ReceivedKind = Literal["licence", "download", "enrolment", "booking", "order"]

# Lines whose module has handed something over (a refunded line's licences are revoked, and
# the module says so in its summary).
DELIVERED_STATUSES = frozenset({LineStatus.FULFILLED, LineStatus.COMPLETED, LineStatus.REVOKED})

# How much of a secret shows before the buyer asks to reveal it.
VISIBLE_SECRET_CHARS = 4


@dataclass(frozen=True, kw_only=True)
class Received:
    """One thing a buyer got for an order line, in words a buyer reads.

    ``secret`` is a value to copy into the seller's software (a licence key): the page shows
    it masked with a control to reveal it. ``url`` leads to where the thing is managed (the
    licence's page, the download, the course)."""

    kind: ReceivedKind
    title: str
    detail: str = ""
    url: str | None = None
    secret: str | None = None

    @property
    def masked_secret(self) -> str:
        """The secret with all but its last few characters hidden (``•••• ABCD``)."""
        if not self.secret:
            return ""
        tail = self.secret[-VISIBLE_SECRET_CHARS:]
        return f"{'•' * 8}{tail}"


PurchaseSummary = Callable[[OrderLine], list[Received]]


def _summary_hook(product_type: str, enabled: Iterable[str]) -> PurchaseSummary | None:
    try:
        manifest = get_registry().for_product_type(product_type, list(enabled))
    except UnknownModule:  # no module sells this type here (any more)
        return None
    if not manifest.purchase_summary:
        return None
    hook: PurchaseSummary = import_string(manifest.purchase_summary)
    return hook


def received_by_line(lines: Iterable[OrderLine]) -> dict[int, list[Received]]:
    """What each delivered line of ``lines`` gave the buyer, by line id (a line with nothing
    to show is absent). The caller has checked the lines are the viewer's own."""
    enabled = enabled_module_keys()
    hooks: dict[str, PurchaseSummary | None] = {}
    found: dict[int, list[Received]] = {}
    for line in lines:
        if line.status not in DELIVERED_STATUSES:
            continue
        if line.product_type not in hooks:
            hooks[line.product_type] = _summary_hook(line.product_type, enabled)
        hook = hooks[line.product_type]
        if hook is None:
            continue
        try:
            received = hook(line)
        except Exception:  # a module's bug must not take the buyer's order page down
            logger.exception(
                "purchase_summary of %s failed for line %s", line.product_type, line.pk
            )
            continue
        if received:
            found[line.pk] = received
    return found
