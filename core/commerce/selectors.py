"""Reads shared by the API, the storefront pages and the services."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from core.accounts.models import User
from core.commerce.models import (
    CommerceSettings,
    Order,
    OrderLine,
    OrderTransition,
    SubOrder,
)
from core.sellers.models import Seller


def commerce_settings() -> CommerceSettings:
    """The marketplace's commerce policy (made with defaults on first use)."""
    settings, _ = CommerceSettings.objects.get_or_create(pk=1)
    return settings


def _with_details(queryset: QuerySet[Order]) -> QuerySet[Order]:
    return queryset.prefetch_related(
        Prefetch("sub_orders", queryset=SubOrder.objects.select_related("seller").order_by("id")),
        Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
        Prefetch("transitions", queryset=OrderTransition.objects.order_by("id")),
    )


def buyer_orders(buyer: User) -> QuerySet[Order]:
    return Order.objects.filter(buyer=buyer)


def buyer_order(buyer: User, order_id: int) -> Order | None:
    return _with_details(Order.objects.filter(buyer=buyer, pk=order_id)).first()


def any_order(order_id: int) -> Order | None:
    return _with_details(Order.objects.filter(pk=order_id).select_related("buyer")).first()


def seller_sub_orders(seller: Seller) -> QuerySet[SubOrder]:
    return SubOrder.objects.filter(seller=seller).select_related("order")


def seller_sub_order(seller: Seller, sub_order_id: int) -> SubOrder | None:
    return (
        SubOrder.objects.filter(seller=seller, pk=sub_order_id)
        .select_related("order", "order__buyer")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
            Prefetch("transitions", queryset=OrderTransition.objects.order_by("id")),
        )
        .first()
    )
