"""Embed products' texts for the optional "similar products" by meaning (``embeddings.py``):
only products whose text changed since their vector was made."""

from __future__ import annotations

from collections.abc import Sequence

from core.catalog.models import Product
from core.recommendations import embeddings
from core.recommendations.models import ProductEmbedding

BATCH = 256


def embed_products(*, product_ids: Sequence[int]) -> int:
    """Write the vectors of the products whose text is new or changed; returns how many."""
    written = 0
    ids = sorted(set(product_ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        known = dict(
            ProductEmbedding.objects.filter(product_id__in=chunk).values_list(
                "product_id", "text_digest"
            )
        )
        texts: dict[int, str] = {}
        for product in Product.objects.filter(pk__in=chunk).select_related("category"):
            text = embeddings.product_text(product)
            if known.get(product.pk) != embeddings.digest(text):
                texts[product.pk] = text
        if not texts:
            continue
        vectors = embeddings.embed_texts(list(texts.values()))
        rows = [
            ProductEmbedding(
                product_id=pk,
                vector=embeddings.to_bytes(vector),
                text_digest=embeddings.digest(text),
            )
            for (pk, text), vector in zip(texts.items(), vectors, strict=True)
        ]
        ProductEmbedding.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["product"],
            update_fields=["vector", "text_digest", "updated_at"],
        )
        written += len(rows)
    return written
