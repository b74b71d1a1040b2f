"""Pluggable modules: what each one offers (its manifest) and the registry that holds them."""

from core.registry.manifest import FulfilmentHook, ModuleManifest
from core.registry.nav import NavEntry
from core.registry.product_types import ProductTypeSpec
from core.registry.registry import ModuleRegistry, UnknownModule, get_registry

__all__ = [
    "FulfilmentHook",
    "ModuleManifest",
    "ModuleRegistry",
    "NavEntry",
    "ProductTypeSpec",
    "UnknownModule",
    "get_registry",
]
