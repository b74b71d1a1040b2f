"""The API's URL index (api/url_index.py) resolves every path exactly as django-ninja's flat
list does (same view, same arguments, same name), keeps ``reverse`` working, and costs a
handful of prefix checks instead of hundreds of regular expressions."""

from __future__ import annotations

import re
import time

from django.urls import URLPattern, resolve, reverse
from django.urls.resolvers import RoutePattern, URLResolver

from api.v1 import flat_urls, urls

SAMPLES = {"int": "7", "str": "abc", "slug": "a-b", "uuid": "12345678-1234-5678-1234-567812345678"}


def sample(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES.get(m.group(1) or "str", "a/b"), route)


def view(func: object) -> object:
    """The view behind a partial (the API's docs views are made afresh per ``api.urls``)."""
    return getattr(func, "func", func)


def test_every_path_resolves_as_in_the_flat_list():
    flat = URLResolver(RoutePattern("api/v1/"), flat_urls[0])
    patterns = [p for p in flat_urls[0] if isinstance(p, URLPattern)]
    assert len(patterns) > 300  # the whole API, not a part of it
    for pattern in patterns:
        path = "api/v1/" + sample(str(pattern.pattern._route))
        expected = flat.resolve(path)
        found = resolve("/" + path)
        assert (view(found.func), found.kwargs, found.url_name, found.namespace) == (
            view(expected.func),
            expected.kwargs,
            expected.url_name,
            "api-v1",
        ), path


def test_names_reverse_to_the_same_paths():
    assert reverse("api-v1:report_watched") == "/api/v1/courses/progress"
    assert len(urls[0]) < len(flat_urls[0]) / 5  # grouped: far fewer entries to try


def test_resolving_a_late_path_is_no_slower_than_an_early_one():
    """The last group's path costs about what the first's does (the flat list cost ~15x)."""

    def cost(path: str) -> float:
        resolve(path)
        started = time.perf_counter()
        for _ in range(300):
            resolve(path)
        return time.perf_counter() - started

    first = "/api/v1/" + sample(str(flat_urls[0][0].pattern._route))
    last = "/api/v1/courses/progress"
    assert cost(last) < 5 * cost(first)
