"""The Postgres full-text vector of products, kept by the catalogue services (the only writers).

Weights: name A; tags, seller and category names B; summary and description C."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import connection


def search_config() -> str:
    return str(getattr(settings, "SOUK_SEARCH_CONFIG", "english"))


def refresh_search_vectors(product_ids: Sequence[int]) -> None:
    if not product_ids:
        return
    config = search_config()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE catalog_product AS p SET search_vector =
                setweight(to_tsvector(%(config)s::regconfig, coalesce(p.name, '')), 'A')
                || setweight(to_tsvector(%(config)s::regconfig,
                       coalesce((SELECT string_agg(t, ' ')
                                 FROM jsonb_array_elements_text(p.tags) t), '')
                       || ' ' || coalesce(s.business_name, '')
                       || ' ' || coalesce(c.name, '')), 'B')
                || setweight(to_tsvector(%(config)s::regconfig,
                       coalesce(p.summary, '') || ' ' || coalesce(p.description, '')), 'C')
            FROM sellers_seller AS s, catalog_product AS q
            LEFT JOIN catalog_category AS c ON c.id = q.category_id
            WHERE q.id = p.id AND s.id = p.seller_id AND p.id = ANY(%(ids)s)
            """,
            {"config": config, "ids": list(product_ids)},
        )
