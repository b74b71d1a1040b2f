"""System checks on the pages modules declare for the navigation (id souk.E007)."""

from __future__ import annotations

from django.core import checks
from django.urls import NoReverseMatch, reverse

from core.registry.nav import NAV_AREAS, NavEntry
from core.registry.registry import ModuleRegistry


def page_errors(registry: ModuleRegistry) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for manifest in registry:
        for entry in manifest.pages:
            problem = _entry_problem(entry)
            if problem:
                errors.append(
                    checks.Error(
                        f"Module {manifest.key!r}: nav entry {entry!r} {problem}.",
                        hint="Declare NavEntry(label=..., url=<URL name without arguments or "
                        f"a path from '/'>, area=<{' | '.join(NAV_AREAS)}>); only studio "
                        "entries name a permission.",
                        id="souk.E007",
                    )
                )
    return errors


def _entry_problem(entry: object) -> str | None:
    if not isinstance(entry, NavEntry):
        return "is not a NavEntry"
    if entry.area not in NAV_AREAS:
        return f"has no area {entry.area!r}"
    if not entry.label.strip():
        return "has no label"
    if entry.permission is not None and entry.area != "studio":
        return "names a permission outside the studio"
    if not entry.is_path:
        try:
            reverse(entry.url)
        except NoReverseMatch:
            return "names a URL that does not reverse"
    return None
