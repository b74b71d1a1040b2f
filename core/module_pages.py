"""Mounting a module's studio and operator pages (``seller_urls``, ``operator_urls`` in its
manifest) with the area's guard around every view, so a module cannot forget one: studio
pages need a seller or a teammate holding the module's ``permissions``, operator pages an
operator past the second factor. Used by the composition root (``core/urls.py``).

Studio pages live at ``/studio/<page_prefix>`` (inside the seller studio: their templates
extend ``studio/base.html``); the old ``/seller/<page_prefix>`` paths redirect there."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import wraps
from importlib import import_module
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, URLResolver, include, path, re_path

from core.accounts.views import operator_page
from core.registry import ModuleManifest
from core.registry.enablement import enabled_module_keys
from core.sellers.views import team_page

ViewDecorator = Callable[[Callable[..., Any]], Callable[..., Any]]
UrlPatterns = Sequence[URLPattern | URLResolver]
STUDIO = "studio/"
RETIRED_STUDIO = "seller/"


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


def _while_enabled(key: str, guard: ViewDecorator) -> ViewDecorator:
    """``guard``, answering 404 first where the module is off (as ModuleGuardMiddleware does
    for its own prefixes), so a switched-off module's pages are gone wherever they are mounted."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        inner = guard(view)

        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if key not in enabled_module_keys():
                raise Http404("No such page.")
            response: HttpResponse = inner(request, *args, **kwargs)
            return response

        return checked

    return decorate


def _mount(prefix: str, dotted: str, guard: ViewDecorator) -> URLResolver:
    urlconf = import_module(dotted)
    patterns = guarded_patterns(urlconf.urlpatterns, guard)
    app_name: str | None = getattr(urlconf, "app_name", None)
    return path(prefix, include((patterns, app_name) if app_name else patterns))


def _moved_to_studio(key: str, prefix: str) -> URLPattern:
    """``/seller/<prefix><rest>`` -> ``/studio/<prefix><rest>`` (the query string kept); a
    form posted to the old path is sent on with its method (308)."""

    def moved(request: HttpRequest, rest: str = "") -> HttpResponse:
        if key not in enabled_module_keys():
            raise Http404("No such page.")
        target = f"/{STUDIO}{prefix}{rest}"
        if request.META.get("QUERY_STRING"):
            target += "?" + request.META["QUERY_STRING"]
        status = 302 if request.method in ("GET", "HEAD") else 308
        response = HttpResponseRedirect(target)
        response.status_code = status
        return response

    return re_path(rf"^{re.escape(RETIRED_STUDIO + prefix)}(?P<rest>.*)$", moved)


def module_page_urls(manifests: Sequence[ModuleManifest]) -> list[URLResolver | URLPattern]:
    """``/studio/<page_prefix>`` and ``/operator/<page_prefix>`` of every module with such
    pages (404 where the module is off), and the retired ``/seller/<page_prefix>``
    redirecting to the studio."""
    mounted: list[URLResolver | URLPattern] = []
    for manifest in manifests:
        if manifest.seller_urls:
            guard = _while_enabled(manifest.key, team_page(manifest.permissions))
            mounted.append(_mount(STUDIO + manifest.page_prefix, manifest.seller_urls, guard))
            mounted.append(_moved_to_studio(manifest.key, manifest.page_prefix))
        if manifest.operator_urls:
            mounted.append(
                _mount(f"operator/{manifest.page_prefix}", manifest.operator_urls, operator_page)
            )
    return mounted
