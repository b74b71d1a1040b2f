"""Licensing fixtures shared by the module's tests (issuing, lifecycle, validation, partner):
a marketplace that runs the licensing module, two software sellers, a product set up with a
policy through the seller service, two buyers, and purchases made the one real way (the
checkout API, with the after-commit fulfilment and outbox delivery run).

These names are used by every licensing test file; keep their signatures stable."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import Role, User
from core.catalog.models import Product, ProductVariant
from core.catalog.services.products import VariantData
from core.commerce.models import RecurringPrice
from core.events import dispatch_pending
from core.outbox.models import OutboxEvent
from core.payments.providers.sandbox import SUCCESS_CARD
from core.sellers.models import Seller, TeamMember
from modules.licensing.models import License, Policy
from modules.licensing.services.software import PolicyData, create_policy
from tenants.models import Tenant
from tests.accounts_helpers import call, make_user, sign_in
from tests.catalog_helpers import make_product, make_seller
from tests.commerce_helpers import add, checkout

LICENSING_SLUG = "licence-market"
OTHER_LICENSING_SLUG = "other-licence-market"
BUYER_EMAIL = "buyer@example.com"
OTHER_BUYER_EMAIL = "other-buyer@example.com"
ENTITLEMENTS = ["pro", "export"]


@dataclass
class LicensingShop:
    tenant: Tenant
    seller: Seller  # "acme" (owner acme@example.com)
    other_seller: Seller  # "bolt" (owner bolt@example.com)
    product: Product  # Acme's "Swift Editor", 20.00 USD
    policy: Policy  # its default: 2 machines, strict, perpetual, pooled, ENTITLEMENTS
    other_product: Product  # Bolt's "Secure Scanner", 15.00 USD, default policy: 1 machine
    buyer: User
    other_buyer: User
    extra: dict[str, Any] = field(default_factory=dict)


def make_licensing_tenant(
    make_tenant: Callable[..., Any], slug: str = LICENSING_SLUG, **overrides: Any
) -> Tenant:
    """A marketplace running the licensing module (test settings would run alpha by
    default, which also sells software)."""
    tenant: Tenant = make_tenant(slug, modules=["licensing"], **overrides).tenant
    return tenant


def make_software(
    tenant: Tenant,
    seller: Seller,
    name: str,
    *,
    price: int = 2000,
    variants: Iterable[VariantData] = (),
    policy_name: str = "Standard",
    **policy_fields: Any,
) -> tuple[Product, Policy]:
    """A published software product and its default policy (``policy_fields`` are
    ``PolicyData`` fields: max_activations, is_license_per_seat, duration_days...)."""
    product = make_product(tenant, seller, name, price=price, variants=list(variants))
    with schema_context(tenant.schema_name):
        policy = create_policy(
            product=product, data=PolicyData(name=policy_name, **policy_fields), is_default=True
        )
    return product, policy


def seat_variants(*seats: int, price_per_seat: int = 1000) -> list[VariantData]:
    """Variants "seats-N" of N seats each, priced N x ``price_per_seat``."""
    return [
        VariantData(
            name=f"{count} seats",
            sku=f"seats-{count}",
            prices={"USD": count * price_per_seat},
            seats=count,
        )
        for count in seats
    ]


def make_licensing_shop(tenant: Tenant) -> LicensingShop:
    seller = make_seller(tenant, "acme", "Acme Tools")
    other_seller = make_seller(tenant, "bolt", "Bolt Software")
    product, policy = make_software(
        tenant, seller, "Swift Editor", price=2000, max_activations=2, entitlements=ENTITLEMENTS
    )
    other_product, _ = make_software(tenant, other_seller, "Secure Scanner", price=1500)
    buyer = make_user(tenant, BUYER_EMAIL, full_name="Bea Buyer")
    other_buyer = make_user(tenant, OTHER_BUYER_EMAIL, full_name="Otto Other")
    return LicensingShop(
        tenant, seller, other_seller, product, policy, other_product, buyer, other_buyer
    )


def signed_in(client_for: Callable[[Tenant], Client], tenant: Tenant, user: User) -> Client:
    """A browser session of ``user`` (buyer, seller owner or team member)."""
    client = client_for(tenant)
    response = sign_in(client, user.email)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "signed_in", response.content
    return client


def seller_client(client_for: Callable[[Tenant], Client], tenant: Tenant, seller: Seller) -> Client:
    with schema_context(tenant.schema_name):
        owner = User.objects.get(pk=seller.owner_id)
    return signed_in(client_for, tenant, owner)


def team_member_client(
    client_for: Callable[[Tenant], Client],
    tenant: Tenant,
    seller: Seller,
    email: str,
    permissions: Iterable[str],
) -> Client:
    """A member of ``seller``'s team with exactly ``permissions``."""
    user = make_user(tenant, email, role=Role.SELLER)
    with schema_context(tenant.schema_name):
        TeamMember.objects.create(seller=seller, user=user, permissions=sorted(permissions))
    return signed_in(client_for, tenant, user)


@dataclass
class Purchase:
    order: dict[str, Any]  # the checkout API's answer
    licenses: list[License]  # issued for the order, by line then seat

    @property
    def license(self) -> License:
        assert len(self.licenses) == 1, self.licenses
        return self.licenses[0]


def purchase(
    client: Client,
    tenant: Tenant,
    product: Product,
    capture: Any,
    *,
    quantity: int = 1,
    variant: ProductVariant | None = None,
    recurring_price: RecurringPrice | None = None,
    card: str = SUCCESS_CARD,
) -> Purchase:
    """Checkout of one line through the API by ``client``'s user; fulfilment and the outbox
    run (``capture`` is ``django_capture_on_commit_callbacks``)."""
    extra: dict[str, Any] = {}
    if variant is not None:
        extra["variant_id"] = variant.pk
    if recurring_price is not None:
        extra["recurring_price_id"] = recurring_price.pk
    added = add(client, product, quantity, **extra)
    assert added.status_code == 200, added.content
    with capture(execute=True):
        response = checkout(client, card=card)
    assert response.status_code == 201, response.content
    order = response.json()
    return Purchase(order, licenses_of_order(tenant, order["id"]))


def buy(
    client_for: Callable[[Tenant], Client],
    shop: LicensingShop,
    capture: Any,
    *,
    product: Product | None = None,
    buyer: User | None = None,
    quantity: int = 1,
    variant: ProductVariant | None = None,
) -> list[License]:
    """The shop's buyer (or ``buyer``) buys ``product`` (default: the shop's product); the
    licences issued for it."""
    client = signed_in(client_for, shop.tenant, buyer or shop.buyer)
    return purchase(
        client, shop.tenant, product or shop.product, capture, quantity=quantity, variant=variant
    ).licenses


def licenses_of_order(tenant: Tenant, order_id: int) -> list[License]:
    with schema_context(tenant.schema_name):
        return list(
            License.objects.filter(order_line__order_id=order_id)
            .select_related("policy", "product")
            .order_by("order_line_id", "seat")
        )


def fresh(tenant: Tenant, license: License) -> License:
    with schema_context(tenant.schema_name):
        return License.objects.select_related("policy", "product").get(pk=license.pk)


def variant_of(tenant: Tenant, product: Product, sku: str) -> ProductVariant:
    with schema_context(tenant.schema_name):
        return ProductVariant.objects.get(product=product, sku=sku)


def emitted(tenant: Tenant, event_type: str) -> list[dict[str, Any]]:
    """Payloads of the outbox events of ``event_type``, oldest first."""
    with schema_context(tenant.schema_name):
        return [
            event.payload
            for event in OutboxEvent.objects.filter(event_type=event_type).order_by("id")
        ]


def deliver_outbox(tenant: Tenant) -> int:
    """Run the tenant's pending outbox events through their consumers now."""
    with schema_context(tenant.schema_name):
        return dispatch_pending(limit=1000)


def api(client: Client, method: str, path: str, body: Any = None, **headers: str) -> Any:
    """A call to ``/api/v1/licenses<path>``."""
    return call(client, method, "/licenses" + path, body, **headers)
