"""Reads shared by the API, the storefront pages and the services."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.db.models import Prefetch, QuerySet

from core.accounts.models import User
from core.commerce.models import (
    CommerceSettings,
    Order,
    OrderLine,
    OrderTransition,
    SubOrder,
)
from core.registry import get_registry
from core.sellers.models import Seller

SETTINGS_CACHE_KEY = "commerce-settings"
SETTINGS_CACHE_SECONDS = 300


def commerce_settings() -> CommerceSettings:
    """The marketplace's commerce policy (made with defaults on first use), cached per tenant
    (the cache's key function prefixes the schema); ``forget_commerce_settings`` after a
    change. Only the policy fields may be read from it: the invoice counter is locked and read
    fresh where numbers are taken."""
    settings: CommerceSettings | None = cache.get(SETTINGS_CACHE_KEY)
    if settings is None:
        settings, _ = CommerceSettings.objects.get_or_create(pk=1)
        cache.set(SETTINGS_CACHE_KEY, settings, SETTINGS_CACHE_SECONDS)
    return settings


def escrowed_product_types(settings: CommerceSettings) -> frozenset[str]:
    """The product types whose lines checkout holds in escrow: the operator's explicit choice
    for this marketplace when there is one, else each type's default in its module's
    manifest (``ProductTypeSpec.is_escrow_by_default``)."""
    if settings.escrow_product_types is not None:
        return frozenset(settings.escrow_product_types)
    return get_registry().escrowed_by_default()


def forget_commerce_settings() -> None:
    cache.delete(SETTINGS_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(SETTINGS_CACHE_KEY))


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
