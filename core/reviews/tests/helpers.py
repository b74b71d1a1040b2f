"""Review fixtures: order lines written as rows (the checkout service is not what these tests
are about), signed-in clients, and the numbers the assertions compare."""

from __future__ import annotations

import secrets
from typing import Any

from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.catalog.models import Product
from core.commerce.models import LineStatus, Order, OrderLine, OrderStatus, SubOrder
from core.outbox.models import OutboxEvent
from core.reviews.models import Review
from core.sellers.models import Seller
from tenants.models import Tenant
from tests.accounts_helpers import make_user, sign_in

LINE_TO_ORDER_STATUS = {
    LineStatus.PENDING: OrderStatus.PENDING_PAYMENT,
    LineStatus.FULFILLING: OrderStatus.FULFILLING,
    LineStatus.FULFILLED: OrderStatus.FULFILLED,
    LineStatus.COMPLETED: OrderStatus.COMPLETED,
    LineStatus.REVOKED: OrderStatus.REFUNDED,
    LineStatus.CANCELLED: OrderStatus.CANCELLED,
}


def make_line(
    tenant: Tenant,
    buyer: User,
    product: Product,
    *,
    status: str = LineStatus.COMPLETED,
    amount: int = 1000,
    refunded_amount: int = 0,
) -> OrderLine:
    """One order of one line of ``product`` by ``buyer``: 10 % commission, no tax."""
    commission = amount // 10
    with schema_context(tenant.schema_name):
        order = Order.objects.create(
            buyer=buyer,
            email=buyer.email,
            currency="USD",
            status=LINE_TO_ORDER_STATUS[LineStatus(status)],
            subtotal=amount,
            total=amount,
            commission_total=commission,
            refunded_total=refunded_amount,
            provider="sandbox",
            idempotency_key=secrets.token_hex(8),
        )
        sub_order = SubOrder.objects.create(
            order=order,
            seller_id=product.seller_id,
            status=order.status,
            subtotal=amount,
            total=amount,
            commission_total=commission,
            seller_net=amount - commission,
        )
        return OrderLine.objects.create(
            order=order,
            sub_order=sub_order,
            product=product,
            product_type=product.product_type,
            title=product.name,
            quantity=1,
            unit_amount=amount,
            subtotal=amount,
            total=amount,
            commission_rate_bp=1000,
            commission_amount=commission,
            seller_net=amount - commission,
            status=status,
            refunded_amount=refunded_amount,
            completed_at=timezone.now() if status == LineStatus.COMPLETED else None,
        )


def buyer_client(client_for: Any, tenant: Tenant, email: str, **fields: Any) -> tuple[Client, User]:
    user = make_user(tenant, email, **fields)
    client = client_for(tenant)
    assert sign_in(client, email).json()["status"] == "signed_in"
    return client, user


def seller_client(client_for: Any, tenant: Tenant, seller: Seller) -> Client:
    client = client_for(tenant)
    with schema_context(tenant.schema_name):
        email = seller.owner.email
    assert sign_in(client, email).json()["status"] == "signed_in"
    return client


def ratings(tenant: Tenant, product: Product) -> dict[str, tuple[int, int]]:
    """(count, total) of the product and of its seller, read fresh from the database."""
    with schema_context(tenant.schema_name):
        fresh = Product.objects.select_related("seller").get(pk=product.pk)
        return {
            "product": (fresh.rating_count, fresh.rating_total),
            "seller": (fresh.seller.rating_count, fresh.seller.rating_total),
        }


def event_types(tenant: Tenant, prefix: str = "review.") -> list[str]:
    with schema_context(tenant.schema_name):
        return list(
            OutboxEvent.objects.filter(event_type__startswith=prefix)
            .order_by("id")
            .values_list("event_type", flat=True)
        )


def review_count(tenant: Tenant) -> int:
    with schema_context(tenant.schema_name):
        return Review.objects.count()
