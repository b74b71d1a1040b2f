"""Catalogue search behind one interface: ``postgres`` (default; core PostgreSQL only) and
``opensearch`` (an index per tenant). Both answer the same ``SearchQuery`` the same way."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from core.catalog.search.query import Facets, SearchQuery, SearchResult, Suggestion

BACKENDS = {
    "postgres": "core.catalog.search.postgres.PostgresSearchBackend",
    "opensearch": "core.catalog.search.opensearch.OpenSearchBackend",
}


class SearchBackend(Protocol):
    def search(self, query: SearchQuery, *, with_facets: bool) -> SearchResult: ...

    def suggest(self, prefix: str, *, limit: int = 8) -> list[Suggestion]: ...

    def index_products(self, product_ids: Sequence[int]) -> None:
        """(Re)index these products of the current tenant; unpublished ones are removed."""

    def remove_products(self, product_ids: Sequence[int]) -> None: ...


@functools.cache
def _backend(name: str) -> SearchBackend:
    if name not in BACKENDS:
        raise ValueError(f"SOUK_SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
    backend: SearchBackend = import_string(BACKENDS[name])()
    return backend


def get_search_backend() -> SearchBackend:
    return _backend(str(getattr(settings, "SOUK_SEARCH_BACKEND", "postgres")))


__all__ = [
    "Facets",
    "SearchBackend",
    "SearchQuery",
    "SearchResult",
    "Suggestion",
    "get_search_backend",
]
