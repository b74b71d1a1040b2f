"""System checks on the module registry (ids souk.E001-E004)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core import checks

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
    return errors


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
