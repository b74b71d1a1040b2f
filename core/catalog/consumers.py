"""Outbox consumers of the catalogue: keep the search index in step (idempotent)."""

from __future__ import annotations

from typing import Any

from core.catalog.search import get_search_backend
from core.events import consumer

PRODUCTS_CHANGED = "catalog.products_changed"


@consumer(PRODUCTS_CHANGED)
def reindex_products(payload: dict[str, Any]) -> None:
    product_ids = [int(pk) for pk in payload.get("product_ids", [])]
    get_search_backend().index_products(product_ids)
