"""The registry of installed modules, loaded once from ``settings.SOUK_MODULES``."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Collection, Iterable, Iterator, Mapping
from types import MappingProxyType

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.registry.manifest import KEY_PATTERN, FulfilmentHook, ModuleManifest
from core.registry.product_types import ProductTypeSpec


class UnknownModule(LookupError):
    pass


class ModuleRegistry:
    """Manifests by key. Built from any list so the system checks can be tested on bad sets;
    duplicates are kept (not overwritten) so the checks can report them."""

    def __init__(self, manifests: Iterable[ModuleManifest]) -> None:
        self.manifests: tuple[ModuleManifest, ...] = tuple(manifests)
        self._by_key = {manifest.key: manifest for manifest in self.manifests}
        # Modules sharing a key declare the same spec (system check souk.E006).
        self._product_types: dict[str, ProductTypeSpec] = {}
        for manifest in self:
            for spec in manifest.product_types:
                if isinstance(spec, ProductTypeSpec):  # anything else is souk.E005's to report
                    self._product_types.setdefault(spec.key, spec)

    def __iter__(self) -> Iterator[ModuleManifest]:
        return iter(self._by_key.values())

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def keys(self) -> list[str]:
        return list(self._by_key)

    def get(self, key: str) -> ModuleManifest:
        try:
            return self._by_key[key]
        except KeyError:
            raise UnknownModule(key) from None

    def product_types(self) -> Mapping[str, ProductTypeSpec]:
        """Every product type an installed module declares, by key, in manifest order."""
        return MappingProxyType(self._product_types)

    def product_type(self, key: str) -> ProductTypeSpec | None:
        return self._product_types.get(key)

    def product_type_label(self, key: str) -> str:
        """For display: a key no installed module declares any more shows as itself."""
        spec = self.product_type(key)
        return spec.label if spec else key

    def escrowed_by_default(self) -> frozenset[str]:
        """Types whose lines checkout holds in escrow unless the operator chose otherwise."""
        return frozenset(k for k, spec in self._product_types.items() if spec.is_escrow_by_default)

    def located_product_types(self) -> frozenset[str]:
        """Types whose products may carry a place, the ones geo search looks at."""
        return frozenset(k for k, spec in self._product_types.items() if spec.has_location)

    def for_product_type(
        self, product_type: str, enabled: Collection[str] | None = None
    ) -> ModuleManifest:
        """The module that sells ``product_type``. Several installed modules may sell one type
        (say, two licensing engines); a tenant runs at most one of them, so with ``enabled``
        (the tenant's modules) the one it runs is chosen."""
        candidates = [manifest for manifest in self if product_type in manifest.product_type_keys]
        if enabled is not None:
            candidates = [manifest for manifest in candidates if manifest.key in enabled]
        if not candidates:
            raise UnknownModule(f"no module sells product type {product_type!r}")
        return candidates[0]

    def fulfil_hook(
        self, product_type: str, enabled: Collection[str] | None = None
    ) -> FulfilmentHook | None:
        """The slot the commerce app calls once a line of this type is paid."""
        return self.for_product_type(product_type, enabled).load_fulfil()

    def revoke_hook(
        self, product_type: str, enabled: Collection[str] | None = None
    ) -> FulfilmentHook | None:
        """The slot the commerce app calls when a line of this type is refunded."""
        return self.for_product_type(product_type, enabled).load_revoke()

    def dependency_closure(self, key: str) -> list[str]:
        """``key``'s dependencies, transitively, dependencies first (no cycles assumed)."""
        ordered: list[str] = []

        def visit(current: str) -> None:
            for dependency in self.get(current).depends_on:
                if dependency not in ordered:
                    visit(dependency)
                    ordered.append(dependency)

        visit(key)
        return ordered

    def dependents(self, key: str) -> list[str]:
        return [manifest.key for manifest in self if key in manifest.depends_on]


def load_manifest(package: str) -> ModuleManifest:
    try:
        module = importlib.import_module(f"{package}.manifest")
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"Module {package!r} has no importable manifest.py: {exc}"
        ) from exc
    manifest = getattr(module, "manifest", None)
    if not isinstance(manifest, ModuleManifest):
        raise ImproperlyConfigured(
            f"{package}.manifest must define `manifest = ModuleManifest(...)`"
        )
    if not KEY_PATTERN.match(manifest.key):
        raise ImproperlyConfigured(f"Module key {manifest.key!r} in {package} is not a valid key")
    if not isinstance(manifest.product_types, tuple) or not all(
        isinstance(spec, ProductTypeSpec) for spec in manifest.product_types
    ):
        raise ImproperlyConfigured(
            f"{package}.manifest: product_types must be a tuple of ProductTypeSpec"
        )
    object.__setattr__(manifest, "package", package)
    return manifest


@functools.cache
def get_registry() -> ModuleRegistry:
    return ModuleRegistry(load_manifest(package) for package in settings.SOUK_MODULES)
