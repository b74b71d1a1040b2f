"""The pages a module adds to the navigation, declared in its manifest (``pages=``).

The base theme builds each area's navigation from these (``tenants/templatetags/module_nav``):
an entry shows only where its module is on, and in the seller studio only to a teammate who
holds its permission. Pure data and pure functions: no request, no query."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from core.registry.manifest import ModuleManifest

NavArea = Literal["storefront", "account", "studio", "operator"]
NAV_AREAS: tuple[str, ...] = get_args(NavArea)


@dataclass(frozen=True, kw_only=True)
class NavEntry:
    """One link: ``url`` is a URL name (``"licensing:licenses"``, no arguments) or a path
    (``"/search/?type=software"``). Areas: ``storefront`` (the site header), ``account`` (the
    buyer's account pages), ``studio`` (the seller's), ``operator`` (the back-office).

    ``permission`` (studio only) is the team permission a teammate needs to see the entry;
    None means the module's own ``permissions``, which guard its studio pages and seller API.
    Name one for a page with its own guard (the licensing module's integration dashboard,
    core's, needs ``configure_integration``)."""

    label: str
    url: str
    area: NavArea
    permission: str | None = None
    order: int = 100

    @property
    def is_path(self) -> bool:
        return self.url.startswith("/")


@dataclass(frozen=True)
class ModuleNavEntry:
    module_key: str
    entry: NavEntry


def nav_entries(
    manifests: Iterable[ModuleManifest],
    area: str,
    *,
    enabled: Collection[str],
    held_permissions: Collection[str] | None = None,
) -> list[ModuleNavEntry]:
    """The entries of ``area`` from modules in ``enabled``, by (order, label). For the studio,
    ``held_permissions`` are the acting teammate's (None: not a seller, so no entry)."""
    found: list[ModuleNavEntry] = []
    for manifest in manifests:
        if manifest.key not in enabled:
            continue
        for entry in manifest.pages:
            if entry.area != area:
                continue
            if area == "studio":
                needed = (entry.permission,) if entry.permission else manifest.permissions
                if held_permissions is None or not set(needed) <= set(held_permissions):
                    continue
            found.append(ModuleNavEntry(manifest.key, entry))
    return sorted(found, key=lambda item: (item.entry.order, item.entry.label))


def current_href(path: str, hrefs: Iterable[str], *, home: str) -> str | None:
    """The one link of a workspace nav that leads to ``path``: the longest that is a prefix
    of it (``/studio/gigs/setup/`` is "Gigs"', not also "Gig orders'" at ``/studio/gigs/``);
    the workspace's home link (its path ends with ``home``, e.g. "/studio") only on itself."""
    matching = [
        href
        for href in hrefs
        if (path == href if href.rstrip("/").endswith(home) else path.startswith(href))
    ]
    return max(matching, key=len, default=None)
