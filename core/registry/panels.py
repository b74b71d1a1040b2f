"""What a module adds to the storefront's product and seller pages (``product_panel`` and
``seller_profile_panel`` in its manifest), asked only of modules on for this marketplace.

Both hooks return HTML a module rendered from its own templates (``SafeString``); a hook
returning None adds nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe

from core.registry.enablement import enabled_module_keys
from core.registry.registry import get_registry


@dataclass(frozen=True)
class ProductPanel:
    buy_box: SafeString | None = None  # replaces the default add-to-cart form
    sections: SafeString | None = None  # after the product's description


def product_panel(request: HttpRequest, product: Any) -> ProductPanel | None:
    """The panel of the module selling ``product``'s type, if it is on and declares one."""
    enabled = enabled_module_keys()
    for manifest in get_registry():
        if (
            manifest.product_panel
            and manifest.key in enabled
            and product.product_type in manifest.product_type_keys
        ):
            hook: Callable[[HttpRequest, Any], ProductPanel | None]
            hook = import_string(manifest.product_panel)
            return hook(request, product)
    return None


def seller_profile_panels(request: HttpRequest, seller: Any) -> SafeString:
    """What every module on for this marketplace adds to ``seller``'s public profile."""
    enabled = enabled_module_keys()
    parts: list[str] = []
    for manifest in get_registry():
        if manifest.seller_profile_panel and manifest.key in enabled:
            hook: Callable[[HttpRequest, Any], SafeString | None]
            hook = import_string(manifest.seller_profile_panel)
            html = hook(request, seller)
            if html:
                parts.append(html)
    # Each part is a module's rendered template (already escaped where it needed to be).
    return mark_safe("".join(parts))


@dataclass(frozen=True)
class CheckoutTerm:
    """Terms a buyer accepts by placing the order, shown at checkout (e.g. a licence)."""

    product_title: str
    heading: str  # "Personal use licence"
    text: str


def checkout_terms(products: list[Any]) -> list[CheckoutTerm]:
    """The terms of the cart's products, from the modules (on here) selling their types."""
    enabled = enabled_module_keys()
    terms: list[CheckoutTerm] = []
    for manifest in get_registry():
        if not manifest.checkout_terms or manifest.key not in enabled:
            continue
        theirs = [p for p in products if p.product_type in manifest.product_type_keys]
        if theirs:
            hook: Callable[[list[Any]], list[CheckoutTerm]]
            hook = import_string(manifest.checkout_terms)
            terms.extend(hook(theirs))
    return terms
