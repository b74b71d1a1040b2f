"""Count a paid order's purchases once: the buyer's new products, the pairs they make with each
other and with what the buyer bought before ("customers also bought" counts buyers who bought
both), and each product's buyers (the bestsellers).

Refunds do not take counts back: a buyer who bought two products and returned one still showed
that the two interest the same people, and the counts stay append-only and cheap to maintain.
What the buyer owns now (for "never recommend what they already have") is read from their live
order lines instead (``owned.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction

from core.recommendations.models import RecordedOrder
from core.recommendations.owned import forget_owned

# A buyer's purchase pairs with at most this many of their latest earlier products, and an
# order's first this many distinct products count: a bulk buyer does not write n² rows.
HISTORY_LIMIT = 50
ORDER_LIMIT = 20


@transaction.atomic
def record_paid_order(
    *, order_id: int, buyer_id: int, product_ids: Iterable[int], paid_at: datetime
) -> bool:
    """Count the order's purchases; False (and nothing written) when it was counted before."""
    _, is_new = RecordedOrder.objects.get_or_create(order_id=order_id)
    if not is_new:
        return False
    products = sorted(set(product_ids))[:ORDER_LIMIT]
    if not products:
        return True
    with connection.cursor() as cursor:
        # Only products this buyer never bought before count (RETURNING gives exactly those,
        # even against a concurrent order of the same buyer).
        cursor.execute(
            """
            INSERT INTO recommendations_buyerproduct (buyer_id, product_id, first_bought_at)
            SELECT %s, product_id, %s FROM unnest(%s::bigint[]) AS product_id
            ON CONFLICT (buyer_id, product_id) DO NOTHING
            RETURNING product_id
            """,
            [buyer_id, paid_at, products],
        )
        fresh = sorted(row[0] for row in cursor.fetchall())
        if not fresh:
            return True
        cursor.execute(
            """
            SELECT product_id FROM recommendations_buyerproduct
            WHERE buyer_id = %s AND NOT (product_id = ANY(%s::bigint[]))
            ORDER BY first_bought_at DESC, id DESC LIMIT %s
            """,
            [buyer_id, fresh, HISTORY_LIMIT],
        )
        earlier = [row[0] for row in cursor.fetchall()]
        pairs = sorted(_new_pairs(fresh, earlier))  # one lock order for concurrent orders
        if pairs:
            cursor.execute(
                """
                INSERT INTO recommendations_purchasepair (product_id, other_id, buyers)
                SELECT product_id, other_id, 1
                FROM unnest(%s::bigint[], %s::bigint[]) AS pair(product_id, other_id)
                ON CONFLICT (product_id, other_id)
                DO UPDATE SET buyers = recommendations_purchasepair.buyers + 1
                """,
                [[a for a, _ in pairs], [b for _, b in pairs]],
            )
        cursor.execute(
            """
            INSERT INTO recommendations_productsales (product_id, buyers)
            SELECT product_id, 1 FROM unnest(%s::bigint[]) AS product_id
            ON CONFLICT (product_id)
            DO UPDATE SET buyers = recommendations_productsales.buyers + 1
            """,
            [fresh],
        )
    transaction.on_commit(lambda: forget_owned(buyer_id))
    return True


def _new_pairs(fresh: list[int], earlier: list[int]) -> list[tuple[int, int]]:
    """Both directions of every pair this purchase adds: new with new, new with earlier."""
    pairs: list[tuple[int, int]] = []
    for product in fresh:
        pairs.extend((product, other) for other in fresh if other != product)
        for other in earlier:
            pairs.extend(((product, other), (other, product)))
    return pairs
