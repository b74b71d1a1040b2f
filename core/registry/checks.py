"""System checks on the module registry (ids souk.E001-E007)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core import checks

from core.registry.page_checks import page_errors
from core.registry.product_types import (
    DELIVERIES,
    PRODUCT_TYPE_KEY_PATTERN,
    PRODUCT_TYPE_MAX_LENGTH,
    ProductTypeSpec,
)
from core.registry.registry import ModuleRegistry, get_registry


def check_registry(registry: ModuleRegistry) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    counts = Counter(manifest.key for manifest in registry.manifests)
    for key, count in counts.items():
        if count > 1:
            packages = [m.package or m.name for m in registry.manifests if m.key == key]
            errors.append(
                checks.Error(
                    f"Module key {key!r} is declared {count} times ({', '.join(packages)}).",
                    hint="Each module needs its own key.",
                    id="souk.E001",
                )
            )
    for manifest in registry.manifests:
        for dependency in manifest.depends_on:
            if dependency not in registry:
                errors.append(
                    checks.Error(
                        f"Module {manifest.key!r} depends on unknown module {dependency!r}.",
                        hint="Add it to SOUK_MODULES or remove it from depends_on.",
                        id="souk.E002",
                    )
                )
    errors.extend(_cycle_errors(registry))
    errors.extend(_mount_collisions(registry))
    errors.extend(_product_type_errors(registry))
    errors.extend(page_errors(registry))
    return errors


def _product_type_errors(registry: ModuleRegistry) -> list[checks.CheckMessage]:
    """Bad product type keys (souk.E005) and one key meaning two things (souk.E006)."""
    errors: list[checks.CheckMessage] = []
    declared: dict[str, tuple[str, ProductTypeSpec]] = {}
    for manifest in registry:
        seen_here: set[str] = set()
        for spec in manifest.product_types:
            if not isinstance(spec, ProductTypeSpec):
                errors.append(
                    checks.Error(
                        f"Module {manifest.key!r} declares product type {spec!r}, "
                        "not a ProductTypeSpec.",
                        hint="Declare ProductTypeSpec(key=..., label=..., "
                        "is_escrow_by_default=..., delivers=...).",
                        id="souk.E005",
                    )
                )
                continue
            problem = _spec_problem(spec)
            if problem:
                errors.append(
                    checks.Error(
                        f"Module {manifest.key!r}: product type {spec.key!r} {problem}.",
                        hint=f"Keys are 2-{PRODUCT_TYPE_MAX_LENGTH} lowercase letters, digits "
                        "and underscores (the width of every product_type column); deliveries "
                        f"are {', '.join(DELIVERIES)}.",
                        id="souk.E005",
                    )
                )
            if spec.key in seen_here:
                errors.append(
                    checks.Error(
                        f"Module {manifest.key!r} declares product type {spec.key!r} twice.",
                        hint="Declare each product type once.",
                        id="souk.E006",
                    )
                )
            seen_here.add(spec.key)
            owner, first = declared.setdefault(spec.key, (manifest.key, spec))
            if owner != manifest.key and first != spec:
                errors.append(
                    checks.Error(
                        f"Modules {owner!r} and {manifest.key!r} both declare product type "
                        f"{spec.key!r}, differently.",
                        hint="Give one of them its own key; modules may share a key only as "
                        "alternative engines declaring the very same ProductTypeSpec.",
                        id="souk.E006",
                    )
                )
    return errors


def _spec_problem(spec: ProductTypeSpec) -> str | None:
    if not PRODUCT_TYPE_KEY_PATTERN.match(spec.key):
        return "is not a valid key"
    if spec.delivers not in DELIVERIES:
        return f"delivers {spec.delivers!r}, which is not a delivery"
    if not spec.label.strip():
        return "has no label"
    return None


def _mount_collisions(registry: ModuleRegistry) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for kind, attribute in (("API", "api_prefix"), ("page", "page_prefix")):
        owners: dict[str, str] = {}
        for manifest in registry:
            prefix = getattr(manifest, attribute)
            if prefix in owners:
                errors.append(
                    checks.Error(
                        f"Modules {owners[prefix]!r} and {manifest.key!r} both mount their "
                        f"{kind} at {prefix!r}.",
                        hint="Give one of them its own api_path/page_path.",
                        id="souk.E004",
                    )
                )
            owners[prefix] = manifest.key
    return errors


def _cycle_errors(registry: ModuleRegistry) -> list[checks.CheckMessage]:
    graph = {m.key: [d for d in m.depends_on if d in registry] for m in registry}
    visiting: list[str] = []
    done: set[str] = set()
    reported: set[frozenset[str]] = set()
    errors: list[checks.CheckMessage] = []

    def visit(key: str) -> None:
        if key in done:
            return
        if key in visiting:
            cycle = [*visiting[visiting.index(key) :], key]
            if frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                errors.append(
                    checks.Error(
                        f"Modules depend on each other in a cycle: {' -> '.join(cycle)}.",
                        hint="Break the cycle; a module may only depend on modules below it.",
                        id="souk.E003",
                    )
                )
            return
        visiting.append(key)
        for dependency in graph[key]:
            visit(dependency)
        visiting.pop()
        done.add(key)

    for key in graph:
        visit(key)
    return errors


def registry_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return check_registry(get_registry())
