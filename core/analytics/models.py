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
