"""Subscription fixtures: plans made through the seller service, subscriptions started the one
real way (a checkout through the API, its order.paid delivered through the outbox), and the
renewal beat run at a chosen moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from core.catalog.models import Product
from core.commerce.models import RecurringPrice
from core.outbox.models import OutboxEvent
from core.payments.providers.sandbox import SUCCESS_CARD
from core.subscriptions.models import Subscription
from core.subscriptions.services.recurring_prices import (
    RecurringPriceData,
    create_recurring_price,
)
from core.subscriptions.services.renew import renew_due_subscriptions
from tenants.models import Tenant
from tests.accounts_helpers import call
from tests.commerce_helpers import add, checkout


def make_plan(
    tenant: Tenant,
    product: Product,
    *,
    amount: int = 1000,
    interval: str = "month",
    interval_count: int = 1,
    trial_days: int = 0,
) -> RecurringPrice:
    with schema_context(tenant.schema_name):
        return create_recurring_price(
            seller=product.seller,
            data=RecurringPriceData(
                product_id=product.pk,
                interval=interval,
                interval_count=interval_count,
                currency="USD",
                amount=amount,
                trial_days=trial_days,
            ),
        )


def subscribe(
    client: Client,
    product: Product,
    plan: RecurringPrice,
    capture: Any,
    *,
    card: str = SUCCESS_CARD,
    **extra: Any,
) -> Any:
    """Checkout of one recurring line; after-commit work (outbox, fulfilment) runs."""
    assert add(client, product, recurring_price_id=plan.pk).status_code == 200
    with capture(execute=True):
        return checkout(client, card=card, **extra)


def only_subscription(tenant: Tenant) -> Subscription:
    with schema_context(tenant.schema_name):
        return Subscription.objects.get()


def renew_at(tenant: Tenant, moment: datetime, capture: Any) -> dict[str, int]:
    with schema_context(tenant.schema_name), capture(execute=True):
        return renew_due_subscriptions(now=moment)


def emitted(tenant: Tenant, event_type: str) -> list[dict[str, Any]]:
    with schema_context(tenant.schema_name):
        return [
            event.payload
            for event in OutboxEvent.objects.filter(event_type=event_type).order_by("id")
        ]


def post(client: Client, path: str, body: Any = None, **headers: str) -> Any:
    return call(client, "post", path, body if body is not None else {}, **headers)
