"""The API's URL patterns grouped by their first path segment.

django-ninja hands Django one flat list of patterns, one per path (about 700 here), and
Django's resolver tries them in order, a regular expression each: resolving a path near the
end of the list cost about 2 ms of every API request, more than some endpoints' own work.
Grouped under one literal prefix per first segment (``digital/``, ``courses/`` ...), a path is
matched against a few dozen prefixes (a string comparison each) and then its own group.

Nothing else changes: the same views, names (``reverse`` still finds each under the API's
namespace) and order within a group; a pattern whose first segment is not a literal keeps
its place in the outer list, so no path can resolve differently
(``tests/test_api_url_index.py`` checks every pattern against the flat list)."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, include, path
from django.urls.resolvers import RoutePattern


def _head(pattern: URLPattern | URLResolver) -> tuple[str, str] | None:
    """``("digital", "downloads/<int:id>/link")`` for a plain path under a literal first
    segment; None for anything else (kept as it is)."""
    if not isinstance(pattern, URLPattern) or not isinstance(pattern.pattern, RoutePattern):
        return None
    route = str(pattern.pattern._route)  # type: ignore[attr-defined]  # Django keeps it private
    head, slash, tail = route.partition("/")
    if not slash or not head or "<" in head or not tail:
        return None
    return head, tail


def by_first_segment(urls: tuple[list[Any], str | None, str | None]) -> tuple[list[Any], Any, Any]:
    """``urls`` (what ``NinjaAPI.urls`` returns: patterns, app name, namespace) regrouped."""
    patterns, app_name, namespace = urls
    groups: dict[str, list[URLPattern]] = {}
    ordered: list[Any] = []
    for pattern in patterns:
        split = _head(pattern)
        if split is None:
            ordered.append(pattern)
            continue
        head, tail = split
        if head not in groups:
            groups[head] = []
            ordered.append(head)  # the group's place: where its first pattern was
        assert isinstance(pattern, URLPattern)
        groups[head].append(
            path(tail, pattern.callback, kwargs=pattern.default_args, name=pattern.name)
        )
    indexed = [
        path(f"{item}/", include(groups[item])) if isinstance(item, str) else item
        for item in ordered
    ]
    return indexed, app_name, namespace
