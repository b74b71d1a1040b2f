"""Which modules are on for the current tenant, asked from core without importing tenants.

The tenants app registers the provider at start-up (``TenantsConfig.ready``); core apps (for
example sellers, which may only be granted product types a module on this marketplace sells)
ask through here, so dependencies keep pointing one way."""

from __future__ import annotations

from collections.abc import Callable

from core.registry.registry import get_registry

EnabledModulesProvider = Callable[[], frozenset[str]]
_provider: EnabledModulesProvider | None = None


def set_enabled_modules_provider(provider: EnabledModulesProvider) -> None:
    global _provider
    _provider = provider


def enabled_module_keys() -> frozenset[str]:
    if _provider is None:
        raise RuntimeError("no enabled-modules provider registered (is 'tenants' installed?)")
    return _provider()


def sellable_product_types() -> frozenset[str]:
    """Product types that some module enabled on the current tenant sells."""
    enabled = enabled_module_keys()
    return frozenset(
        product_type
        for manifest in get_registry()
        if manifest.key in enabled
        for product_type in manifest.product_type_keys
    )
