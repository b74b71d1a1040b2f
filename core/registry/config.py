"""A tenant's stored config of a module, asked from core without importing tenants.

The tenants app registers the provider at start-up (``TenantsConfig.ready``), as it does for
the enabled modules (``core.registry.enablement``); ``ModuleManifest.settings_for`` reads
through here and validates the result with the module's own settings model."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# (tenant, module key) -> the stored config; empty where the module was never configured or
# is off for that tenant.
ModuleConfigProvider = Callable[[Any, str], Mapping[str, Any]]
_provider: ModuleConfigProvider | None = None


def set_module_config_provider(provider: ModuleConfigProvider) -> None:
    global _provider
    _provider = provider


def module_config(tenant: Any, key: str) -> Mapping[str, Any]:
    if _provider is None:
        raise RuntimeError("no module-config provider registered (is 'tenants' installed?)")
    return _provider(tenant, key)
