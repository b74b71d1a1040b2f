"""Daily aggregates of the storefront's conversion funnel, per product: what the Redis
counters (``core.analytics.counters``) held when the beat task flushed them. A row per
product and day, never a row per page view; the seller and product type are copied in at
flush time so a seller's dashboard reads one index range."""

from __future__ import annotations

from django.db import models


class ProductDailyStats(models.Model):
    day = models.DateField()
    product_id = models.BigIntegerField()
    seller_id = models.BigIntegerField()
    product_type = models.CharField(max_length=32)
    views = models.BigIntegerField(default=0)
    add_to_carts = models.BigIntegerField(default=0)
    checkouts_started = models.BigIntegerField(default=0)
    checkouts_completed = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product_id", "day"], name="product_day_stats_once")
        ]
        indexes = [models.Index(fields=["seller_id", "day"], name="product_stats_seller_day")]

    def __str__(self) -> str:
        return f"product {self.product_id} on {self.day}"


class TrafficSourceDaily(models.Model):
    """Product page views per day by where the visitor came from: the referrer's host (empty:
    typed in or hidden) and the UTM parameters of the landing URL."""

    day = models.DateField()
    product_id = models.BigIntegerField()
    seller_id = models.BigIntegerField()
    referrer_host = models.CharField(max_length=100, blank=True)
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    views = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "product_id",
                    "day",
                    "referrer_host",
                    "utm_source",
                    "utm_medium",
                    "utm_campaign",
                ],
                name="traffic_source_day_once",
            )
        ]
        indexes = [models.Index(fields=["seller_id", "day"], name="traffic_seller_day")]

    def __str__(self) -> str:
        return f"{self.referrer_host or 'direct'} -> {self.product_id} on {self.day}"


class FlushedBatch(models.Model):
    """A batch of counters already added to the aggregates, written in the same transaction:
    a flush that died after committing is recognised and never added twice."""

    batch_id = models.CharField(max_length=64, unique=True)
    flushed_at = models.DateTimeField(auto_now_add=True)
    fields = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.batch_id


class SellerSale(models.Model):
    """A paid order line, copied per seller when ``order.paid`` is consumed (and backfilled
    by migration 0005), so the dashboard reads one seller's sales of a period as one range of
    ``(seller_id, paid_at)`` instead of joining the marketplace's orders. Money stays the
    order line's; the ledger remains the source of earnings and balances."""

    order_line_id = models.BigIntegerField(unique=True)
    order_id = models.BigIntegerField()
    seller_id = models.BigIntegerField()
    buyer_id = models.BigIntegerField(null=True, blank=True)
    paid_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    product_type = models.CharField(max_length=32)
    quantity = models.PositiveIntegerField()
    total = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["seller_id", "paid_at"], name="seller_sale_seller_paid")]

    def __str__(self) -> str:
        return f"line {self.order_line_id} of seller {self.seller_id}"


class SellerRefund(models.Model):
    """A refunded part of a line, copied per seller when ``refund.created`` is consumed."""

    refund_line_id = models.BigIntegerField(unique=True)
    order_id = models.BigIntegerField()
    seller_id = models.BigIntegerField()
    refunded_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    product_type = models.CharField(max_length=32)
    amount = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["seller_id", "refunded_at"], name="seller_refund_seller_time")
        ]

    def __str__(self) -> str:
        return f"refund line {self.refund_line_id} of seller {self.seller_id}"


class MarketplaceDay(models.Model):
    """A closed day of the marketplace already rolled up into ``MarketplaceLedgerDay`` and
    ``MarketplaceSalesDay`` (``core.analytics.marketplace``): its rows are complete, even when
    there are none. Claimed and filled in one statement, so a day is rolled up once."""

    day = models.DateField(unique=True)

    def __str__(self) -> str:
        return str(self.day)


class MarketplaceLedgerDay(models.Model):
    """The journal lines of a closed day that the operator dashboard reads (cash of captures
    and refunds, platform fees), summed per entry kind, account and currency: the same sums the
    ledger gives, so money figures still come from the ledger to the cent."""

    day = models.DateField()
    kind = models.CharField(max_length=20)
    account = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    total = models.BigIntegerField()
    count = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "account", "currency"], name="marketplace_ledger_day_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.account} {self.currency} on {self.day}"


class MarketplaceSalesDay(models.Model):
    """The lines of the orders paid (captured) on a closed day, per currency and per product
    type, product or seller (``grain``; ``key`` is the type or the id): distinct orders (for a
    seller: sub-orders), units and sales. An order is captured on one day, so the days' counts
    add up over a period."""

    day = models.DateField()
    currency = models.CharField(max_length=3)
    grain = models.CharField(max_length=8)
    key = models.CharField(max_length=64)
    count = models.BigIntegerField()
    units = models.BigIntegerField()
    sales = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "currency", "grain", "key"], name="marketplace_sales_day_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.key} {self.currency} on {self.day}"
