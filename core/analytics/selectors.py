"""Reads of the daily aggregates for one seller: the funnel per product and day, and where
the views came from. Each is one index range (``seller_id, day``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Sum

from core.analytics.models import ProductDailyStats, TrafficSourceDaily
from core.catalog.models import Product

SOURCES_SHOWN = 25


@dataclass(frozen=True)
class ProductFunnel:
    product_id: int
    name: str
    product_type: str
    views: int
    add_to_carts: int
    checkouts_started: int
    checkouts_completed: int

    @property
    def conversion_bp(self) -> int | None:
        return self.checkouts_completed * 10000 // self.views if self.views else None


@dataclass(frozen=True)
class TrafficSource:
    referrer_host: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    views: int


def product_funnels(*, seller_id: int, start: date, end: date) -> list[ProductFunnel]:
    rows = list(
        ProductDailyStats.objects.filter(seller_id=seller_id, day__gte=start, day__lte=end)
        .values("product_id", "product_type")
        .annotate(
            views=Sum("views"),
            add_to_carts=Sum("add_to_carts"),
            checkouts_started=Sum("checkouts_started"),
            checkouts_completed=Sum("checkouts_completed"),
        )
        .order_by("-views", "product_id")
    )
    names = dict(
        Product.objects.filter(pk__in=[row["product_id"] for row in rows]).values_list("pk", "name")
    )
    return [
        ProductFunnel(
            product_id=row["product_id"],
            name=names.get(row["product_id"], f"Product {row['product_id']}"),
            product_type=row["product_type"],
            views=int(row["views"]),
            add_to_carts=int(row["add_to_carts"]),
            checkouts_started=int(row["checkouts_started"]),
            checkouts_completed=int(row["checkouts_completed"]),
        )
        for row in rows
    ]


def daily_views(*, seller_id: int, start: date, end: date) -> dict[date, tuple[int, int]]:
    """Views and completed checkouts per day."""
    rows = (
        ProductDailyStats.objects.filter(seller_id=seller_id, day__gte=start, day__lte=end)
        .values("day")
        .annotate(views=Sum("views"), completed=Sum("checkouts_completed"))
    )
    return {row["day"]: (int(row["views"]), int(row["completed"])) for row in rows}


def traffic_sources(*, seller_id: int, start: date, end: date) -> list[TrafficSource]:
    rows = (
        TrafficSourceDaily.objects.filter(seller_id=seller_id, day__gte=start, day__lte=end)
        .values("referrer_host", "utm_source", "utm_medium", "utm_campaign")
        .annotate(total=Sum("views"))
        .order_by("-total", "referrer_host", "utm_source", "utm_medium", "utm_campaign")
    )[:SOURCES_SHOWN]
    return [
        TrafficSource(
            referrer_host=row["referrer_host"],
            utm_source=row["utm_source"],
            utm_medium=row["utm_medium"],
            utm_campaign=row["utm_campaign"],
            views=int(row["total"]),
        )
        for row in rows
    ]
