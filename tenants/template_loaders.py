"""Template lookup: tenant override -> the tenant's theme -> themes/base -> the modules' own
``templates/`` folders (``modules/<key>/templates/<key>/...``), so a theme or a tenant can
override any module template and a module ships its pages without touching a theme."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.template import Origin
from django.template.loaders.cached import Loader as DjangoCachedLoader
from django.template.loaders.filesystem import Loader as FilesystemLoader

from core.registry import get_registry

BASE_THEME = "base"


def _current_tenant_theme() -> tuple[str, str]:
    """(schema, theme) of the connection's tenant; the platform and tenant-less requests
    use the base theme."""
    tenant = getattr(connection, "tenant", None)
    schema = getattr(connection, "schema_name", "public")
    branding = getattr(tenant, "branding", None) if tenant is not None else None
    theme = getattr(branding, "theme", BASE_THEME) or BASE_THEME
    if theme not in settings.SOUK_THEMES:
        theme = BASE_THEME
    return schema, theme


def theme_dirs() -> list[Path]:
    schema, theme = _current_tenant_theme()
    dirs = []
    if schema != "public":
        dirs.append(Path(settings.TENANT_TEMPLATE_OVERRIDES_DIR) / schema)
    if theme != BASE_THEME:
        dirs.append(Path(settings.THEMES_DIR) / theme / "templates")
    dirs.append(Path(settings.THEMES_DIR) / BASE_THEME / "templates")
    dirs.extend(module_template_dirs())
    return dirs


@functools.cache
def module_template_dirs() -> tuple[Path, ...]:
    """Each installed module's ``templates/`` folder, in SOUK_MODULES order (every module's,
    on or off: a module that is off has no URLs that render its templates)."""
    dirs = []
    for manifest in get_registry():
        package_file = import_module(manifest.package).__file__
        if package_file is not None:
            folder = Path(package_file).parent / "templates"
            if folder.is_dir():
                dirs.append(folder)
    return tuple(dirs)


class ThemeLoader(FilesystemLoader):
    def get_dirs(self) -> list[Path]:  # type: ignore[override]
        return theme_dirs()

    def get_template_sources(self, template_name: str) -> Iterator[Origin]:
        yield from super().get_template_sources(template_name)


class CachedLoader(DjangoCachedLoader):
    """Caches per (schema, theme): a theme change shows at once, tenants never share."""

    def cache_key(self, template_name: str, skip: list[Origin] | None = None) -> str:
        schema, theme = _current_tenant_theme()
        return f"{schema}:{theme}:{super().cache_key(template_name, skip)}"
