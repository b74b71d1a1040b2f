"""Gig fixtures shared by the module's tests: a marketplace running the gigs module, two
service sellers, a gig set up through the listing services (three packages, extras, two
requirements questions, an FAQ), two buyers, and purchases made the one real way (a quote,
the offer into the cart, the checkout API, with fulfilment and the outbox run)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.catalog.models import Product
from core.deadlines.sweep import SweepResult, sweep_due_deadlines
from core.events import dispatch_pending
from core.sellers.models import Seller
from modules.gigs.models import GigExtra, GigOrder
from modules.gigs.services import listing
from tenants.models import Tenant
from tests.accounts_helpers import call, make_user, sign_in
from tests.catalog_helpers import make_product, make_seller
from tests.commerce_helpers import checkout

GIGS_SLUG = "gig-market"
OTHER_GIGS_SLUG = "other-gig-market"
CHECKLIST = ["Logo in SVG and PNG", "Two colour variants"]
PACKAGES = [
    listing.PackageData(
        tier="basic", title="Basic", price=5000, delivery_days=3, revisions=1,
        features=["1 concept"], checklist=CHECKLIST[:1],
    ),
    listing.PackageData(
        tier="standard", title="Standard", price=10000, delivery_days=5, revisions=2,
        features=["2 concepts", "Source file"], checklist=CHECKLIST,
    ),
    listing.PackageData(
        tier="premium", title="Premium", price=20000, delivery_days=7, revisions=None,
        features=["3 concepts", "Source file", "Brand guide"], checklist=CHECKLIST,
    ),
]  # fmt: skip
EXTRAS = [
    listing.ExtraData(kind="fast_delivery", title="Express", price=2500, days=2),
    listing.ExtraData(kind="extra_revision", title="One more revision", price=1000, revisions=1),
    listing.ExtraData(kind="custom", title="Social media kit", price=1500, days=1),
]
QUESTIONS = [
    listing.QuestionData(kind="text", prompt="Your brand name?"),
    listing.QuestionData(kind="choice", prompt="Style?", choices=["Flat", "Retro"]),
    listing.QuestionData(kind="file", prompt="Existing logo (a link)", is_required=False),
]


@dataclass
class GigShop:
    tenant: Tenant
    seller: Seller  # "studio" (owner studio@example.com)
    other_seller: Seller  # "pixel"
    gig: Product  # Studio's "Logo design", packages PACKAGES, extras EXTRAS, QUESTIONS
    other_gig: Product  # Pixel's "Icon set": one basic package, no questions
    buyer: User
    other_buyer: User

    def extra_id(self, title: str) -> int:
        with schema_context(self.tenant.schema_name):
            return GigExtra.objects.get(product=self.gig, title=title).pk


def make_gigs_tenant(make_tenant: Callable[..., Any], slug: str = GIGS_SLUG) -> Tenant:
    tenant: Tenant = make_tenant(slug, modules=["gigs"]).tenant
    return tenant


def make_gig(tenant: Tenant, seller: Seller, name: str, *, questions: bool = True) -> Product:
    product = make_product(tenant, seller, name, price=5000, product_type="gig")
    with schema_context(tenant.schema_name):
        listing.set_packages(product=product, packages=PACKAGES if questions else PACKAGES[:1])
        if questions:
            listing.set_extras(product=product, extras=EXTRAS)
            listing.set_questions(product=product, questions=QUESTIONS)
            listing.set_faq(
                product=product,
                faq=[listing.FaqData(question="Do you do print?", answer="Yes, CMYK too.")],
            )
    return product


def make_gig_shop(tenant: Tenant) -> GigShop:
    seller = make_seller(tenant, "studio", "Studio Nord", product_types=["gig"])
    other_seller = make_seller(tenant, "pixel", "Pixel Works", product_types=["gig"])
    gig = make_gig(tenant, seller, "Logo design")
    other_gig = make_gig(tenant, other_seller, "Icon set", questions=False)
    buyer = make_user(tenant, "buyer@example.com", full_name="Bea Buyer")
    other_buyer = make_user(tenant, "other-buyer@example.com", full_name="Otto Other")
    return GigShop(tenant, seller, other_seller, gig, other_gig, buyer, other_buyer)


def signed_in(client_for: Callable[[Tenant], Client], tenant: Tenant, user: User) -> Client:
    client = client_for(tenant)
    response = sign_in(client, user.email)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "signed_in", response.content
    return client


def seller_client(client_for: Callable[[Tenant], Client], tenant: Tenant, seller: Seller) -> Client:
    with schema_context(tenant.schema_name):
        owner = User.objects.get(pk=seller.owner_id)
    return signed_in(client_for, tenant, owner)


def buy(
    client: Client,
    tenant: Tenant,
    gig: Product,
    capture: Any,
    *,
    tier: str = "standard",
    extra_ids: list[int] | None = None,
) -> GigOrder:
    """``client``'s user buys ``tier`` with ``extra_ids``: quote, offer into the cart,
    checkout (fulfilment and the outbox run). Returns the gig order."""
    quoted = call(
        client,
        "post",
        f"/gigs/listings/{gig.pk}/quotes",
        {"tier": tier, "extra_ids": extra_ids or []},
    )
    assert quoted.status_code == 201, quoted.content
    added = call(client, "post", "/cart/offers", {"offer_id": quoted.json()["offer_id"]})
    assert added.status_code == 200, added.content
    with capture(execute=True):
        response = checkout(client)
    assert response.status_code == 201, response.content
    with schema_context(tenant.schema_name):
        dispatch_pending()
        return GigOrder.objects.get(order_line__order_id=response.json()["id"])


def refreshed(tenant: Tenant, order: GigOrder) -> GigOrder:
    with schema_context(tenant.schema_name):
        return GigOrder.objects.get(pk=order.pk)


def sweep(tenant: Tenant, now: datetime) -> SweepResult:
    with schema_context(tenant.schema_name):
        return sweep_due_deadlines(now=now)


def answers_for(order: GigOrder) -> dict[str, str]:
    """Valid answers to the gig's questions (text, choice; the optional file left out)."""
    by_kind = {question["kind"]: str(question["id"]) for question in order.questions}
    return {by_kind["text"]: "Nordlicht", by_kind["choice"]: "Flat"}


def deliver_link(
    client: Client, order: GigOrder, link: str = "https://files.example/logo.zip"
) -> Any:
    """Seller: a draft with a link and the whole checklist ticked, delivered."""
    draft = call(
        client,
        "post",
        f"/gigs/seller/orders/{order.pk}/deliveries",
        {"description": "Here it is", "links": [link], "checklist_ticked": order.checklist},
    )
    assert draft.status_code == 201, draft.content
    path = f"/gigs/seller/orders/{order.pk}/deliveries/{draft.json()['id']}/deliver"
    return call(client, "post", path, **paying())


def paying() -> dict[str, str]:
    """The header every money-moving or once-only POST takes (accept, cancel, deliver,
    answering a cancellation, releasing a part)."""
    return {"Idempotency-Key": uuid.uuid4().hex}
