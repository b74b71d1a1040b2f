"""Consulting fixtures shared by the module's tests: a marketplace running the module, a
consultant in Berlin working 09:00-17:00 on weekdays with a 60-minute session type (and a
group workshop), buyers, and paying a hold the one real way (the offer into the cart,
commerce's checkout, fulfilment run after commit)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django_tenants.utils import schema_context

from core.accounts.models import User
from core.catalog.models import Product
from core.commerce.models import Order
from core.commerce.services.cart import add_offer, get_or_create_cart
from core.commerce.services.checkout import CheckoutInput, checkout_cart
from core.events import dispatch_pending
from core.payments.providers.sandbox import SUCCESS_CARD
from core.sellers.models import Seller
from modules.consulting.manifest import ConsultingSettings
from modules.consulting.models import Booking, ConsultantProfile, SessionType
from modules.consulting.services import availability
from modules.consulting.services.booking import hold_slot, slots_for
from modules.consulting.slots import Slot
from tenants.models import Tenant
from tests.accounts_helpers import make_user
from tests.catalog_helpers import make_product, make_seller

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # a Monday morning
WEEKDAYS_9_TO_5 = {weekday: [[540, 1020]] for weekday in range(5)}


@dataclass
class Consulting:
    tenant: Tenant
    seller: Seller
    other_seller: Seller
    profile: ConsultantProfile
    session_type: SessionType  # 60 minutes, 100.00 USD, one seat
    workshop: SessionType  # 90 minutes, 30.00 USD, three seats
    buyer: User
    other_buyer: User


def make_consulting_tenant(make_tenant: Callable[..., Any], slug: str = "consult-corner") -> Tenant:
    tenant: Tenant = make_tenant(slug, modules=["consulting"]).tenant
    return tenant


def make_consultant(
    tenant: Tenant, slug: str, *, time_zone: str = "Europe/Berlin", **profile: Any
) -> tuple[Seller, ConsultantProfile]:
    seller = make_seller(tenant, slug, slug.title(), product_types=["consult"])
    with schema_context(tenant.schema_name):
        data = availability.ProfileData(time_zone=time_zone, **profile)
        made = availability.set_profile(seller=seller, data=data, bounds=ConsultingSettings())
        availability.set_weekly_rules(profile=made, rules=WEEKDAYS_9_TO_5)
    return seller, made


def make_session_type(
    tenant: Tenant,
    profile: ConsultantProfile,
    seller: Seller,
    name: str,
    *,
    minutes: int = 60,
    price: int = 10000,
    seats: int = 1,
) -> SessionType:
    product: Product = make_product(tenant, seller, name, price=price, product_type="consult")
    with schema_context(tenant.schema_name):
        return availability.set_session_type(
            profile=profile,
            product_id=product.pk,
            minutes=minutes,
            price=price,
            currency="USD",
            description=f"{name}, by video.",
            seats=seats,
        )


def make_consulting(tenant: Tenant, **profile: Any) -> Consulting:
    seller, made = make_consultant(tenant, "ada", **profile)
    other_seller, _ = make_consultant(tenant, "bob", time_zone="America/New_York")
    session_type = make_session_type(tenant, made, seller, "Strategy call")
    workshop = make_session_type(
        tenant, made, seller, "Group workshop", minutes=90, price=3000, seats=3
    )
    buyer = make_user(tenant, "buyer@example.com", full_name="Bea Buyer")
    other_buyer = make_user(tenant, "other-buyer@example.com", full_name="Otto Other")
    return Consulting(
        tenant, seller, other_seller, made, session_type, workshop, buyer, other_buyer
    )


def free(tenant: Tenant, session_type: SessionType, day: date, zone: str = "UTC") -> list[Slot]:
    with schema_context(tenant.schema_name):
        return slots_for(session_type=session_type, buyer_zone=zone, first_day=day, last_day=day)


def hold(tenant: Tenant, buyer: User, session_type: SessionType, starts_at: datetime) -> Booking:
    with schema_context(tenant.schema_name):
        return hold_slot(buyer=buyer, session_type_id=session_type.pk, starts_at=starts_at)


def pay(
    tenant: Tenant, buyer: User, booking: Booking, capture: Any, card: str = SUCCESS_CARD
) -> Order:
    """The offer into the buyer's cart, then commerce's checkout; fulfilment runs on commit."""
    with schema_context(tenant.schema_name):
        assert booking.offer_id is not None
        cart = get_or_create_cart(buyer=buyer, token=None)
        add_offer(cart=cart, buyer=buyer, offer_id=booking.offer_id)
    return pay_cart(tenant, buyer, capture, card)


def pay_cart(tenant: Tenant, buyer: User, capture: Any, card: str = SUCCESS_CARD) -> Order:
    """Commerce's checkout of what is in the buyer's cart; fulfilment runs on commit."""
    with schema_context(tenant.schema_name):
        cart = get_or_create_cart(buyer=buyer, token=None)
        with capture(execute=True):
            order, _, _ = checkout_cart(
                buyer=buyer,
                cart=cart,
                details=CheckoutInput(country="DE"),
                idempotency_key=uuid.uuid4().hex,
                payment_method=card,
            )
        dispatch_pending()
        return Order.objects.get(pk=order.pk)


def refreshed(tenant: Tenant, booking: Booking) -> Booking:
    with schema_context(tenant.schema_name):
        return Booking.objects.select_related("order_line").get(pk=booking.pk)
