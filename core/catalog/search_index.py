"""The Postgres search entries of products (``SearchEntry``). Database triggers keep each
entry's filter, sort and facet columns in step with its product and base prices; the full-text
vector and the category terms are refreshed here by the catalogue services (the only writers),
after a product's texts or its category tree change.

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
    ids = list(product_ids)
    with connection.cursor() as cursor:
        # The triggers do not see category moves and renames; this refreshes the whole entry.
        cursor.execute("SELECT catalog_searchentry_sync(%s::bigint[])", [ids])
        cursor.execute(
            """
            UPDATE catalog_searchentry AS entry SET search_vector =
                setweight(to_tsvector(%(config)s::regconfig, coalesce(p.name, '')), 'A')
                || setweight(to_tsvector(%(config)s::regconfig,
                       coalesce((SELECT string_agg(t, ' ')
                                 FROM jsonb_array_elements_text(p.tags) t), '')
                       || ' ' || coalesce(s.business_name, '')
                       || ' ' || coalesce(c.name, '')), 'B')
                || setweight(to_tsvector(%(config)s::regconfig,
                       coalesce(p.summary, '') || ' ' || coalesce(p.description, '')), 'C')
            FROM catalog_product AS p
            JOIN sellers_seller AS s ON s.id = p.seller_id
            LEFT JOIN catalog_category AS c ON c.id = p.category_id
            WHERE p.id = entry.product_id AND p.id = ANY(%(ids)s)
            """,
            {"config": search_config(), "ids": ids},
        )
