"""The first path segments a module's ``root_urls`` owns at the site's root (``certificates``
for ``certificates/<str:code>/``), for the module guard."""

from __future__ import annotations

from importlib import import_module


def root_segments(urlconf: str) -> list[str]:
    patterns = import_module(urlconf).urlpatterns
    return sorted({str(pattern.pattern).split("/", 1)[0] for pattern in patterns})
