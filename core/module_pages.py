"""Mounting a module's studio and operator pages (``seller_urls``, ``operator_urls`` in its
manifest) with the area's guard around every view, so a module cannot forget one: studio
pages need a seller or a teammate holding the module's ``permissions``, operator pages an
operator past the second factor. Used by the composition root (``core/urls.py``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any

from django.urls import URLPattern, URLResolver, include, path

from core.accounts.views import operator_page
from core.registry import ModuleManifest
from core.sellers.views import team_page

ViewDecorator = Callable[[Callable[..., Any]], Callable[..., Any]]
UrlPatterns = Sequence[URLPattern | URLResolver]


def guarded_patterns(patterns: UrlPatterns, guard: ViewDecorator) -> list[URLPattern | URLResolver]:
    """``patterns`` with ``guard`` around every view, included URL confs too."""
    guarded: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            guarded.append(
                URLResolver(
                    pattern.pattern,
                    guarded_patterns(pattern.url_patterns, guard),
                    pattern.default_kwargs,
                    pattern.app_name,
                    pattern.namespace,
                )
            )
        else:
            guarded.append(
                URLPattern(
                    pattern.pattern, guard(pattern.callback), pattern.default_args, pattern.name
                )
            )
    return guarded


def _mount(prefix: str, dotted: str, guard: ViewDecorator) -> URLResolver:
    urlconf = import_module(dotted)
    patterns = guarded_patterns(urlconf.urlpatterns, guard)
    app_name: str | None = getattr(urlconf, "app_name", None)
    return path(prefix, include((patterns, app_name) if app_name else patterns))


def module_page_urls(manifests: Sequence[ModuleManifest]) -> list[URLResolver]:
    """``/seller/<page_prefix>`` and ``/operator/<page_prefix>`` of every module with such
    pages (ModuleGuardMiddleware answers 404 there where the module is off)."""
    mounted: list[URLResolver] = []
    for manifest in manifests:
        if manifest.seller_urls:
            guard = team_page(manifest.permissions)
            mounted.append(_mount(f"seller/{manifest.page_prefix}", manifest.seller_urls, guard))
        if manifest.operator_urls:
            mounted.append(
                _mount(f"operator/{manifest.page_prefix}", manifest.operator_urls, operator_page)
            )
    return mounted
