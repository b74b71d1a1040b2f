"""Reads shared by the API and the pages."""

from __future__ import annotations

from django.db.models import QuerySet

from core.accounts.models import User
from core.sellers.models import Seller
from core.subscriptions.models import Subscription, SubscriptionEvent


def _with_details(queryset: QuerySet[Subscription]) -> QuerySet[Subscription]:
    return queryset.select_related(
        "product", "recurring_price", "scheduled_price", "payment_method", "first_order_line"
    )


def all_subscriptions() -> QuerySet[Subscription]:
    return _with_details(Subscription.objects.select_related("buyer"))


def buyer_subscriptions(buyer: User) -> QuerySet[Subscription]:
    return _with_details(Subscription.objects.filter(buyer=buyer))


def seller_subscriptions(seller: Seller) -> QuerySet[Subscription]:
    return _with_details(Subscription.objects.filter(seller=seller).select_related("buyer"))


def history(subscription: Subscription) -> list[SubscriptionEvent]:
    return list(SubscriptionEvent.objects.filter(subscription=subscription).order_by("id"))
