"""The notification types Souk knows: core's own (below) merged with every module manifest's
``notification_types``. A key ending in ``.*`` covers a family (``security.*`` covers
``security.password_changed``). Any non-critical type is digest-able: a user who asked for the
daily digest gets its e-mails batched; a critical one always goes at once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

from core.registry.notification_types import CHANNELS, NotificationTypeSpec
from core.registry.registry import get_registry

__all__ = ["CHANNELS", "CORE_TYPES", "NotificationTypeSpec", "all_types", "find_type"]

_EMAIL = ("in_app", "email")

CORE_TYPES: tuple[NotificationTypeSpec, ...] = (
    NotificationTypeSpec("chat.message", "A new message in a conversation", False, _EMAIL),
    NotificationTypeSpec("chat.reported", "A message was reported", False, _EMAIL),
    NotificationTypeSpec("dispute.opened", "A dispute was opened", False, _EMAIL),
    NotificationTypeSpec("dispute.updated", "A dispute changed (evidence, comment, status)"),
    NotificationTypeSpec(
        "dispute.resolved", "A dispute was decided", True, ("in_app", "email", "push")
    ),
    NotificationTypeSpec("dispute.appealed", "A decision was appealed", False, _EMAIL),
    NotificationTypeSpec("orders.paid", "An order was paid", False, _EMAIL),
    NotificationTypeSpec("orders.received", "A new order to process (sellers)", False, _EMAIL),
    NotificationTypeSpec("orders.refunded", "An order was refunded", True, _EMAIL),
    # Fulfilment fallbacks of any module (a licence's account made in the seller's software,
    # or, when that fails, by hand).
    NotificationTypeSpec("orders.ready", "What you bought is ready to use", False, _EMAIL),
    NotificationTypeSpec("orders.delayed", "What you bought is delayed", False, _EMAIL),
    NotificationTypeSpec(
        "orders.manual_action", "An order needs you to act by hand (sellers)", False, _EMAIL
    ),
    NotificationTypeSpec("sellers.reviewed", "Your seller application was reviewed", False, _EMAIL),
    NotificationTypeSpec("security.*", "Account security", True, _EMAIL),
    NotificationTypeSpec(
        "notifications.test",
        "Test notifications (sent from the back-office)",
        False,
        ("in_app", "email", "push", "sms"),
    ),
)


def merge_types(
    core: Iterable[NotificationTypeSpec], modules: Iterable[NotificationTypeSpec]
) -> dict[str, NotificationTypeSpec]:
    """First declaration wins; duplicates are reported by the system check (souk.E101)."""
    merged: dict[str, NotificationTypeSpec] = {}
    for spec in (*core, *modules):
        merged.setdefault(spec.key, spec)
    return merged


@cache
def all_types() -> Mapping[str, NotificationTypeSpec]:
    modules = [spec for manifest in get_registry() for spec in manifest.notification_types]
    return merge_types(CORE_TYPES, modules)


def find_type(key: str) -> NotificationTypeSpec | None:
    """The spec of ``key``: exact, or the family ``<prefix>.*`` it belongs to."""
    types = all_types()
    spec = types.get(key)
    if spec is not None:
        return spec
    parts = key.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        family = types.get(".".join(parts[:cut]) + ".*")
        if family is not None:
            return family
    return None


def is_digestible(spec: NotificationTypeSpec) -> bool:
    return not spec.is_critical
