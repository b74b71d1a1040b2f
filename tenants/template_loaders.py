"""Template lookup: tenant override -> the tenant's theme -> themes/base."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.template import Origin
from django.template.loaders.cached import Loader as DjangoCachedLoader
from django.template.loaders.filesystem import Loader as FilesystemLoader

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
    return dirs


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
