"""The ``Recommender`` interface and its strategies. Each answers product ids, best first, that
the buyer can buy now: visible on this marketplace (published, active and verified seller, a
type an enabled module sells: ``core.catalog.selectors.visible_products``), never the product
asked about, never ``Context.exclude`` (what the buyer already owns, what a shelf shows
already). Everything is read in the current schema, so nothing crosses tenants.

- ``also_bought``: buyers who bought the product also bought (co-purchase counts), then the
  category's bestsellers, then the marketplace's.
- ``similar``: PostgreSQL full text: the product's own search vector's strongest terms (not its
  seller's name) as an OR query over the other products' vectors, ranked by ``ts_rank``; then
  the category's bestsellers. With the optional sentence embeddings on, closest in meaning
  first.
- ``recently_viewed``: the signed-in buyer's latest product pages.
- ``for_you``: co-purchases of everything the buyer bought, then bestsellers of the categories
  they buy in, then the marketplace's.
- ``bestsellers``: the most bought (by buyers), in the given categories or everywhere; the
  cold-start fallback and the evaluation's baseline."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from core.catalog.models import Product
from core.catalog.search_index import search_config
from core.catalog.selectors import visible_products
from core.recommendations.embeddings import embeddings_enabled, from_bytes
from core.recommendations.models import (
    BuyerProduct,
    ProductEmbedding,
    ProductSales,
    PurchasePair,
)
from core.recommendations.viewed import viewed_product_ids

# Lexemes of the seed product's vector used as the similarity query (name and tags first).
SIMILAR_TERMS = 24
# Candidates read per wanted product before the visibility filter drops some.
OVERFETCH = 4
PERSONAL_SEEDS = 20


@dataclass(frozen=True, kw_only=True)
class Context:
    """Whom and what a recommendation is for."""

    limit: int = 10
    product_id: int | None = None
    # Category paths ("/3/7/") whose products the category fallbacks read (subcategories too).
    category_paths: tuple[str, ...] = ()
    buyer_id: int | None = None
    exclude: frozenset[int] = field(default_factory=frozenset)

    def excluded(self) -> frozenset[int]:
        if self.product_id is None:
            return self.exclude
        return self.exclude | {self.product_id}


class Recommender(Protocol):
    @property
    def key(self) -> str:
        """The strategy's name (a shelf's ``data-shelf``, the API's ``strategy``)."""
        ...

    def recommend(self, context: Context) -> list[int]:
        """Up to ``context.limit`` buyable product ids, best first."""
        ...


def buyable_in_order(candidates: Iterable[int], context: Context) -> list[int]:
    """``candidates`` the buyer can buy, in the given order, at most ``context.limit``."""
    excluded = context.excluded()
    wanted = [pk for pk in dict.fromkeys(candidates) if pk not in excluded]
    if not wanted:
        return []
    visible = set(visible_products().filter(pk__in=wanted).values_list("pk", flat=True))
    return [pk for pk in wanted if pk in visible][: context.limit]


def _in_categories(queryset: QuerySet[Product], paths: Sequence[str]) -> QuerySet[Product]:
    condition = Q()
    for path in paths:
        condition |= Q(category__path__startswith=path)
    return queryset.filter(condition)


@dataclass(frozen=True)
class Bestsellers:
    """The most bought products; with ``in_categories``, only the context's categories (no
    categories: nothing, so a chain goes on to the marketplace's)."""

    in_categories: bool = False
    key: str = "bestsellers"

    def recommend(self, context: Context) -> list[int]:
        products = visible_products().exclude(pk__in=context.excluded())
        if self.in_categories:
            if not context.category_paths:
                return []
            products = _in_categories(products, context.category_paths)
        sold = ProductSales.objects.filter(product=OuterRef("pk")).values("buyers")
        ranked = products.annotate(sold=Coalesce(Subquery(sold), Value(0))).order_by(
            "-sold", "-published_at", "-id"
        )
        return list(ranked.values_list("pk", flat=True)[: context.limit])


@dataclass(frozen=True)
class AlsoBought:
    """Products bought by the buyers of the seeds: the context's product, or with
    ``from_purchases`` everything the buyer bought (their most recent purchases first)."""

    from_purchases: bool = False
    key: str = "also_bought"

    def recommend(self, context: Context) -> list[int]:
        seeds = self._seeds(context)
        if not seeds:
            return []
        excluded = context.excluded() | set(seeds)
        ranked = (
            PurchasePair.objects.filter(product_id__in=seeds)
            .exclude(other_id__in=excluded)
            .filter(other_id__in=visible_products().values("pk"))
            .values("other_id")
            .annotate(score=Sum("buyers"))
            .order_by("-score", "other_id")
            .values_list("other_id", flat=True)[: context.limit]
        )
        return list(ranked)

    def _seeds(self, context: Context) -> list[int]:
        if not self.from_purchases:
            return [context.product_id] if context.product_id is not None else []
        if context.buyer_id is None:
            return []
        return list(
            BuyerProduct.objects.filter(buyer_id=context.buyer_id)
            .order_by("-first_bought_at", "-id")
            .values_list("product_id", flat=True)[:PERSONAL_SEEDS]
        )


@dataclass(frozen=True)
class SimilarText:
    """Products whose text is like the context product's (PostgreSQL full text, on the
    catalogue search's own weighted vectors: name A, tags/seller/category B, texts C)."""

    key: str = "similar"

    def recommend(self, context: Context) -> list[int]:
        if context.product_id is None:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                """
                WITH terms AS (
                    SELECT term.lexeme FROM catalog_searchentry AS seed
                    JOIN sellers_seller AS seller ON seller.id = seed.seller_id,
                         unnest(seed.search_vector) AS term
                    WHERE seed.product_id = %(seed)s
                      -- The seller's name is in the vector (search finds a shop by it), but
                      -- a shared seller does not make two products alike.
                      AND NOT term.lexeme = ANY(tsvector_to_array(
                              to_tsvector(%(config)s::regconfig, seller.business_name)))
                    ORDER BY CASE WHEN 'A' = ANY(term.weights) THEN 0
                                  WHEN 'B' = ANY(term.weights) THEN 1 ELSE 2 END,
                             coalesce(array_length(term.positions, 1), 0) DESC, term.lexeme
                    LIMIT %(terms)s
                ), query AS (
                    SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery AS q FROM terms
                )
                SELECT entry.product_id FROM catalog_searchentry AS entry, query
                WHERE query.q IS NOT NULL AND entry.search_vector @@ query.q
                  AND entry.is_published AND entry.product_id <> %(seed)s
                ORDER BY ts_rank(entry.search_vector, query.q) DESC, entry.product_id
                LIMIT %(limit)s
                """,
                {
                    "seed": context.product_id,
                    "config": search_config(),
                    "terms": SIMILAR_TERMS,
                    "limit": (context.limit + len(context.exclude)) * OVERFETCH,
                },
            )
            candidates = [row[0] for row in cursor.fetchall()]
        return buyable_in_order(candidates, context)


@dataclass(frozen=True)
class SimilarEmbedding:
    """Products whose embedded text is closest in meaning to the context product's (cosine of
    the optional sentence embeddings, ``embeddings.py``). Reads every visible product's vector
    (1 KB each): fine for thousands of products; the shelf cache keeps it off the pages."""

    key: str = "similar_embeddings"

    def recommend(self, context: Context) -> list[int]:
        import numpy as np

        if context.product_id is None:
            return []
        seed = ProductEmbedding.objects.filter(product_id=context.product_id).first()
        if seed is None:
            return []
        rows = list(
            ProductEmbedding.objects.filter(product__in=visible_products())
            .exclude(product_id__in=context.excluded())
            .values_list("product_id", "vector")
        )
        if not rows:
            return []
        matrix = np.stack([from_bytes(vector) for _, vector in rows])
        scores = matrix @ from_bytes(seed.vector)
        best = np.argsort(-scores, kind="stable")[: context.limit]
        return [int(rows[index][0]) for index in best]


@dataclass(frozen=True)
class RecentlyViewed:
    key: str = "recently_viewed"

    def recommend(self, context: Context) -> list[int]:
        if context.buyer_id is None:
            return []
        return buyable_in_order(viewed_product_ids(context.buyer_id), context)


@dataclass(frozen=True)
class PurchaseCategories:
    """The categories of what the buyer bought, for the category fallback that follows."""

    inner: Recommender
    key: str = "purchase_categories"

    def recommend(self, context: Context) -> list[int]:
        if context.buyer_id is None:
            return []
        paths = tuple(
            path
            for path in BuyerProduct.objects.filter(
                buyer_id=context.buyer_id, product__category__isnull=False
            )
            .order_by("-first_bought_at", "-id")
            .values_list("product__category__path", flat=True)[:PERSONAL_SEEDS]
            if path
        )
        if not paths:
            return []
        return self.inner.recommend(replace(context, category_paths=tuple(dict.fromkeys(paths))))


@dataclass(frozen=True)
class NotYetBought:
    """``inner`` without anything the buyer bought before (a "for you" shelf is for finding
    something new; what they keep is excluded everywhere anyway, see ``owned.py``)."""

    inner: Recommender
    key: str = "not_yet_bought"

    def recommend(self, context: Context) -> list[int]:
        if context.buyer_id is None:
            return self.inner.recommend(context)
        bought = BuyerProduct.objects.filter(buyer_id=context.buyer_id).values_list(
            "product_id", flat=True
        )
        return self.inner.recommend(replace(context, exclude=context.exclude | set(bought)))


@dataclass(frozen=True)
class WithFallbacks:
    """The first strategy's answer, topped up by the next ones until the limit."""

    key: str
    chain: tuple[Recommender, ...]

    def recommend(self, context: Context) -> list[int]:
        chosen: list[int] = []
        for recommender in self.chain:
            wanted = context.limit - len(chosen)
            if wanted <= 0:
                break
            step = replace(context, limit=wanted, exclude=context.exclude | set(chosen))
            chosen.extend(recommender.recommend(step))
        return chosen


STRATEGIES: dict[str, Recommender] = {
    "also_bought": WithFallbacks(
        "also_bought", (AlsoBought(), Bestsellers(in_categories=True), Bestsellers())
    ),
    "similar": WithFallbacks("similar", (SimilarText(), Bestsellers(in_categories=True))),
    "recently_viewed": RecentlyViewed(),
    "for_you": NotYetBought(
        WithFallbacks(
            "for_you",
            (
                AlsoBought(from_purchases=True),
                PurchaseCategories(Bestsellers(in_categories=True)),
                Bestsellers(),
            ),
        ),
        key="for_you",
    ),
    "bestsellers": Bestsellers(),
}


# "similar" when the optional sentence embeddings are on (products not embedded yet fall
# through to the full-text similarity).
SIMILAR_BY_MEANING = WithFallbacks(
    "similar", (SimilarEmbedding(), SimilarText(), Bestsellers(in_categories=True))
)


def get_recommender(key: str) -> Recommender:
    if key == "similar" and embeddings_enabled():
        return SIMILAR_BY_MEANING
    return STRATEGIES[key]
