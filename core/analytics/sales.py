"""Copies of paid lines and refunds per seller (``SellerSale``, ``SellerRefund``): one
statement each, idempotent (the line or refund line is unique), used by the outbox consumers
for one order or refund and by migration 0005 for everything before it."""

from __future__ import annotations

from django.db import connection

SALES_SQL = """
INSERT INTO analytics_sellersale (order_line_id, order_id, seller_id, buyer_id, paid_at,
    currency, product_type, quantity, total)
SELECT l.id, o.id, s.seller_id, o.buyer_id, o.paid_at, o.currency, l.product_type,
       l.quantity, l.total
FROM commerce_orderline l
JOIN commerce_suborder s ON s.id = l.sub_order_id
JOIN commerce_order o ON o.id = l.order_id
WHERE o.paid_at IS NOT NULL {condition}
ON CONFLICT (order_line_id) DO NOTHING
"""
REFUNDS_SQL = """
INSERT INTO analytics_sellerrefund (refund_line_id, order_id, seller_id, refunded_at,
    currency, product_type, amount)
SELECT rl.id, r.order_id, s.seller_id, r.created_at, r.currency, l.product_type, rl.amount
FROM commerce_refundline rl
JOIN commerce_refund r ON r.id = rl.refund_id
JOIN commerce_orderline l ON l.id = rl.order_line_id
JOIN commerce_suborder s ON s.id = l.sub_order_id
WHERE TRUE {condition}
ON CONFLICT (refund_line_id) DO NOTHING
"""
BACKFILL_SQL = [SALES_SQL.format(condition=""), REFUNDS_SQL.format(condition="")]


def copy_paid_order(*, order_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(SALES_SQL.format(condition="AND o.id = %s"), [order_id])


def copy_refund(*, refund_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(REFUNDS_SQL.format(condition="AND r.id = %s"), [refund_id])
