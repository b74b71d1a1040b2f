"""The current marketplace's settings, asked from core without importing tenants (which
registers the provider at start-up; see core/registry/enablement.py for the same pattern)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class MarketplaceSettings:
    name: str
    default_currency: str
    # The default first; a product may carry prices in any of these.
    currencies: tuple[str, ...]


MarketplaceProvider = Callable[[], MarketplaceSettings]
_provider: MarketplaceProvider | None = None


def set_marketplace_provider(provider: MarketplaceProvider) -> None:
    global _provider
    _provider = provider


def current_marketplace() -> MarketplaceSettings:
    if _provider is None:
        raise RuntimeError("no marketplace provider registered (is 'tenants' installed?)")
    return _provider()
