"""The licensing partner API, for a seller's own systems: ``/api/v1/partner/v1/licensing/``.

Authenticated by the seller's API key (``X-API-Key``, see ``core.sellers``): each operation
names the team permission the key must carry (``auth=seller_key_auth(...)``, checked before
the body is read; the composition root refuses an operation that names none) and reads the
key's seller with ``authorised_seller(request)``. Rate-limited per key by the API's
throttle; version 1 is frozen in its path. Everything is the key's
seller's: another seller's product, order, licence, endpoint or delivery answers 404 like
one that does not exist, and another marketplace's keys are unknown here (401). Every
request is logged in the seller's integration log (method, path, status, latency; never
bodies), which the health endpoint and the dashboard summarise. The webhook endpoints and
the signing secret (``/webhooks...``, ``/signing-secret...``) are core/integrations' router,
mounted here so they keep these paths (core also serves them at
``/api/v1/partner/v1/integrations/``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Query, Router, Status

from core.catalog.errors import CatalogError, CatalogErrorCode
from core.catalog.models import Product
from core.catalog.selectors import with_detail_data
from core.catalog.services.products import ProductData, VariantData
from core.commerce.models import OrderLine, SubOrder
from core.commerce.presenters import line_dict, money
from core.errors import ErrorKind
from core.integrations.api import log_partner_calls
from core.integrations.api import partner_router as integrations_router
from core.pagination import keyset_page
from core.sellers.auth import authorised_seller, seller_key_auth
from core.sellers.models import Seller, TeamPermission
from modules.licensing import presenters_licenses as presenters
from modules.licensing import selectors
from modules.licensing.models import (
    License,
    LicenseStatus,
    Policy,
    Provisioning,
    ProvisioningStatus,
    SoftwareDetails,
)
from modules.licensing.schemas_licenses import PolicyIn, SellerLicenseOut, SellerLicensePageOut
from modules.licensing.schemas_partner import (
    FulfilIn,
    LicenseListQuery,
    MetricsOut,
    MetricsQuery,
    OrderListQuery,
    PageQuery,
    PartnerHealthOut,
    PartnerOrderOut,
    PartnerOrderPageOut,
    PricesIn,
    ProductPageOut,
    ReinstateIn,
    SoftwareProductIn,
    SoftwareProductOut,
    SuspendIn,
    UsageEventOut,
    UsageIn,
)
from modules.licensing.services import lifecycle, partner, provisioning, software

router = Router()


# Every request, refusals included, in the seller's integration log; the webhook endpoints
# and the signing secret are core's (they inherit the decorator and the API key auth).
router.add_decorator(log_partner_calls, mode="view")
router.add_router("", integrations_router)


# The team permission each endpoint asks of the key (the one a teammate would need).
PRODUCTS = seller_key_auth(TeamPermission.MANAGE_PRODUCTS)
ORDERS = seller_key_auth(TeamPermission.PROCESS_ORDERS)
CUSTOMERS = seller_key_auth(TeamPermission.MANAGE_CUSTOMERS)
ANALYTICS = seller_key_auth(TeamPermission.VIEW_ANALYTICS)
INTEGRATION = seller_key_auth(TeamPermission.CONFIGURE_INTEGRATION)


def _page(queryset: Any, params: PageQuery) -> tuple[list[Any], str | None]:
    """Newest first, the cursor pagination of every list."""
    return keyset_page(queryset, ordering=("-id",), limit=params.limit, cursor=params.cursor)


def _actor(request: HttpRequest) -> str:
    return f"partner:key:{request.api_key_identity.key_id}"  # type: ignore[attr-defined]


# --- products --------------------------------------------------------------------------------


def _own_product(seller: Seller, product_id: int) -> Product:
    product = with_detail_data(
        Product.objects.filter(pk=product_id, seller=seller, product_type=software.SOFTWARE)
    ).first()
    if product is None:
        raise CatalogError(
            CatalogErrorCode.PRODUCT_NOT_FOUND, "No such product.", kind=ErrorKind.NOT_FOUND
        )
    return product


def _product_dict(product: Product) -> dict[str, Any]:
    details = SoftwareDetails.objects.filter(product=product).first()
    policies = list(Policy.objects.filter(product=product).order_by("id"))
    prices = list(product.prices.all())
    return {
        "id": product.pk,
        "slug": product.slug,
        "name": product.name,
        "status": product.status,
        "summary": product.summary,
        "description": product.description,
        "category": product.category.slug if product.category else None,
        "features": product.features,
        "tags": product.tags,
        "prices": {p.currency: p.amount for p in prices if p.variant_id is None},
        "variants": [
            {
                "id": variant.pk,
                "sku": variant.sku,
                "name": variant.name,
                "seats": variant.seats,
                "prices": {p.currency: p.amount for p in variant.prices.all()},
            }
            for variant in product.variants.all()
        ],
        "images": [image.src for image in product.images.all()],
        "moderation_note": product.moderation_note,
        "software": presenters.software_dict(details, policies),
    }


def _inputs(
    payload: SoftwareProductIn,
) -> tuple[ProductData, software.SoftwareData, software.PolicyData | None]:
    setup = payload.software
    data = ProductData(
        name=payload.name,
        product_type=software.SOFTWARE,
        prices=payload.prices,
        summary=payload.summary,
        description=payload.description,
        category_slug=payload.category,
        trial_days=setup.trial_days if setup else 0,
        features=payload.features,
        tags=payload.tags,
        variants=[
            VariantData(name=v.name, sku=v.sku, seats=v.seats, prices=v.prices)
            for v in payload.variants
        ],
        image_urls=[str(url) for url in payload.images],
    )
    software_data = software.SoftwareData()
    if setup is not None:
        software_data = software.SoftwareData(
            license_type=setup.license_type,
            provisioning=setup.provisioning,
            provisioning_url=setup.provisioning_url,
            deprovisioning_url=setup.deprovisioning_url,
            integration_notes=setup.integration_notes,
            trial_days=setup.trial_days,
        )
    return data, software_data, _policy(payload.policy)


def _policy(payload: PolicyIn | None) -> software.PolicyData | None:
    if payload is None:
        return None
    return software.PolicyData(
        name=payload.name,
        max_activations=payload.max_activations,
        is_floating=payload.is_floating,
        duration_days=payload.duration_days,
        is_heartbeat_required=payload.is_heartbeat_required,
        heartbeat_interval_seconds=payload.heartbeat_interval_seconds,
        on_missed_heartbeat=payload.on_missed_heartbeat,
        entitlements=list(payload.entitlements),
        is_license_per_seat=payload.is_license_per_seat,
    )


@router.get(
    "/products",
    response=ProductPageOut,
    summary="Your software products, newest first",
    auth=PRODUCTS,
)
def list_products(request: HttpRequest, params: Query[PageQuery]) -> dict[str, Any]:
    queryset = with_detail_data(
        Product.objects.filter(seller=authorised_seller(request), product_type=software.SOFTWARE)
    )
    rows, cursor = _page(queryset, params)
    return {
        "items": [{"id": p.pk, "slug": p.slug, "name": p.name, "status": p.status} for p in rows],
        "next_cursor": cursor,
    }


@router.post(
    "/products",
    response={201: SoftwareProductOut},
    summary="Create a software product with its licensing set-up and default policy",
    auth=PRODUCTS,
)
def create_product(request: HttpRequest, payload: SoftwareProductIn) -> Status[dict[str, Any]]:
    data, software_data, policy = _inputs(payload)
    product = partner.create_software_product(
        seller=authorised_seller(request),
        data=data,
        software_data=software_data,
        policy=policy,
        submit_for_review=payload.submit_for_review,
    )
    return Status(201, _product_dict(_own_product(product.seller, product.pk)))


@router.get(
    "/products/{product_id}",
    response=SoftwareProductOut,
    summary="One of your software products",
    auth=PRODUCTS,
)
def get_product(request: HttpRequest, product_id: int) -> dict[str, Any]:
    return _product_dict(_own_product(authorised_seller(request), product_id))


@router.put(
    "/products/{product_id}",
    response=SoftwareProductOut,
    summary="Replace a software product (a published one goes back to review)",
    auth=PRODUCTS,
)
def update_product(
    request: HttpRequest, product_id: int, payload: SoftwareProductIn
) -> dict[str, Any]:
    seller = authorised_seller(request)
    data, software_data, policy = _inputs(payload)
    partner.update_software_product(
        product=_own_product(seller, product_id),
        data=data,
        software_data=software_data,
        policy=policy,
        submit_for_review=payload.submit_for_review,
    )
    return _product_dict(_own_product(seller, product_id))


@router.put(
    "/products/{product_id}/prices",
    response=SoftwareProductOut,
    summary="Change base prices (no new review)",
    auth=PRODUCTS,
)
def set_prices(request: HttpRequest, product_id: int, payload: PricesIn) -> dict[str, Any]:
    seller = authorised_seller(request)
    partner.reprice_software(product=_own_product(seller, product_id), prices=payload.prices)
    return _product_dict(_own_product(seller, product_id))


# --- orders ----------------------------------------------------------------------------------


def _orders(seller: Seller) -> Any:
    licenses = License.objects.select_related("provisioned_account").order_by("seat")
    lines = OrderLine.objects.select_related("product__license_details").prefetch_related(
        Prefetch("licenses", queryset=licenses)
    )
    return (
        SubOrder.objects.filter(seller=seller)
        .select_related("order", "order__buyer")
        .prefetch_related(Prefetch("lines", queryset=lines.order_by("id")))
    )


def _license_brief(license: License, line: OrderLine) -> dict[str, Any]:
    account = selectors.provisioned_account(license)
    details = getattr(line.product, "license_details", None)
    is_manual = details is None or details.provisioning == Provisioning.MANUAL
    waiting = account.status == ProvisioningStatus.MANUAL if account else is_manual
    return {
        "id": license.pk,
        "key": license.key,
        "status": license.status,
        "expires_at": license.expires_at,
        "account": presenters.account_dict(account, with_credentials=False),
        "needs_account": waiting and license.status == LicenseStatus.ACTIVE,
    }


def _order_dict(sub: SubOrder) -> dict[str, Any]:
    order = sub.order
    currency = order.currency
    return {
        "id": sub.pk,
        "order_id": order.pk,
        "status": sub.status,
        "currency": currency,
        "total": money(sub.total, currency),
        "commission": money(sub.commission_total, currency),
        "seller_net": money(sub.seller_net, currency),
        "buyer": {"email": order.buyer.email, "name": order.billing_name},
        "created_at": order.created_at,
        "paid_at": order.paid_at,
        "lines": [
            {
                **line_dict(line, currency),
                "licenses": [_license_brief(lic, line) for lic in line.licenses.all()],
            }
            for line in sub.lines.all()
        ],
    }


@router.get(
    "/orders",
    response=PartnerOrderPageOut,
    summary="Your orders (sub-orders) with lines and licences, newest first",
    auth=ORDERS,
)
def list_orders(request: HttpRequest, params: Query[OrderListQuery]) -> dict[str, Any]:
    queryset = _orders(authorised_seller(request))
    if params.status:
        queryset = queryset.filter(status=params.status)
    rows, cursor = _page(queryset, params)
    return {"items": [_order_dict(sub) for sub in rows], "next_cursor": cursor}


@router.get(
    "/orders/{sub_order_id}", response=PartnerOrderOut, summary="One of your orders", auth=ORDERS
)
def get_order(request: HttpRequest, sub_order_id: int) -> dict[str, Any]:
    seller = authorised_seller(request)
    sub = partner.sellers_sub_order(seller=seller, sub_order_id=sub_order_id)
    return _order_dict(_orders(seller).get(pk=sub.pk))


@router.post(
    "/orders/{sub_order_id}/fulfil",
    response=PartnerOrderOut,
    summary="Fulfil an order by hand: record the accounts you set up (the buyers are told)",
    auth=ORDERS,
)
def fulfil_order(request: HttpRequest, sub_order_id: int, payload: FulfilIn) -> dict[str, Any]:
    seller = authorised_seller(request)
    sub = partner.sellers_sub_order(seller=seller, sub_order_id=sub_order_id)
    partner.fulfil_by_hand(
        seller=seller,
        sub_order=sub,
        accounts=[
            partner.ManualAccount(a.license_id, a.external_account_id, a.credentials)
            for a in payload.accounts
        ],
    )
    return _order_dict(_orders(seller).get(pk=sub.pk))


# --- licences --------------------------------------------------------------------------------


@router.get(
    "/licenses",
    response=SellerLicensePageOut,
    exclude_unset=True,
    summary="Your customers' licences, newest first",
    auth=CUSTOMERS,
)
def list_licenses(request: HttpRequest, params: Query[LicenseListQuery]) -> dict[str, Any]:
    queryset = selectors.seller_licenses(authorised_seller(request))
    if params.status:
        queryset = queryset.filter(status=params.status)
    if params.product_id:
        queryset = queryset.filter(product_id=params.product_id)
    if params.buyer_email:
        queryset = queryset.filter(buyer__email__iexact=params.buyer_email.strip())
    rows, cursor = _page(queryset, params)
    return {"items": [presenters.seller_license_dict(row) for row in rows], "next_cursor": cursor}


def _license(request: HttpRequest, license_id: int) -> tuple[Seller, License]:
    seller = authorised_seller(request)
    return seller, selectors.sellers_license(seller, license_id)


def _license_out(seller: Seller, license_id: int) -> dict[str, Any]:
    license = selectors.sellers_license(seller, license_id)
    return presenters.seller_license_dict(license, with_usage=True)


@router.get(
    "/licenses/{license_id}",
    response=SellerLicenseOut,
    exclude_unset=True,
    summary="A customer's licence: machines, account, usage",
    auth=CUSTOMERS,
)
def get_license(request: HttpRequest, license_id: int) -> dict[str, Any]:
    _, license = _license(request, license_id)
    return presenters.seller_license_dict(license, with_usage=True)


@router.post(
    "/licenses/{license_id}/suspend",
    response=SellerLicenseOut,
    exclude_unset=True,
    summary="Revoke a customer's access for now (suspend the licence)",
    auth=CUSTOMERS,
)
def suspend_license(request: HttpRequest, license_id: int, payload: SuspendIn) -> dict[str, Any]:
    seller, license = _license(request, license_id)
    reason = " ".join(payload.reason.split())
    if not reason:
        raise lifecycle.invalid_field("reason", "Say why the licence is suspended.")
    lifecycle.suspend(license=license, reason=reason, actor_label=_actor(request))
    return _license_out(seller, license_id)


@router.post(
    "/licenses/{license_id}/reinstate",
    response=SellerLicenseOut,
    exclude_unset=True,
    summary="Give a customer's access back (reinstate a suspended licence)",
    auth=CUSTOMERS,
)
def reinstate_license(
    request: HttpRequest, license_id: int, payload: ReinstateIn
) -> dict[str, Any]:
    seller, license = _license(request, license_id)
    reason = " ".join(payload.reason.split())
    lifecycle.reinstate(license=license, reason=reason, actor_label=_actor(request))
    return _license_out(seller, license_id)


@router.post(
    "/licenses/{license_id}/provision",
    response={202: SellerLicenseOut},
    exclude_unset=True,
    summary="Provision the customer's account again (after automatic provisioning gave up)",
    auth=CUSTOMERS,
)
def retry_provisioning(request: HttpRequest, license_id: int) -> Status[dict[str, Any]]:
    seller, license = _license(request, license_id)
    provisioning.retry_provisioning(license=license)
    return Status(202, _license_out(seller, license_id))


# --- usage, metrics, health ------------------------------------------------------------------


@router.post(
    "/usage",
    response=UsageEventOut,
    summary="Report a metered usage event (idempotent by event_id)",
    description="The same event_id again answers 200 with the first event (`is_duplicate`: "
    "true); the same event_id with another metric, quantity or time answers 409.",
    auth=CUSTOMERS,
)
def report_usage(request: HttpRequest, payload: UsageIn) -> dict[str, Any]:
    license = partner.sellers_license_by(
        seller=authorised_seller(request),
        license_id=payload.license_id,
        license_key=payload.license_key,
    )
    recorded = partner.record_usage(
        license=license,
        event_id=payload.event_id,
        metric=payload.metric,
        quantity=payload.quantity,
        occurred_at=payload.occurred_at,
    )
    event = recorded.event
    return {
        "id": event.pk,
        "event_id": event.event_id,
        "license_id": event.license_id,
        "metric": event.metric,
        "quantity": event.quantity,
        "occurred_at": event.occurred_at,
        "recorded_at": event.recorded_at,
        "is_duplicate": recorded.is_duplicate,
    }


@router.get(
    "/metrics",
    response=MetricsOut,
    by_alias=True,
    summary="Orders, revenue, licences, activations and usage in a time frame [from, to)",
    auth=ANALYTICS,
)
def get_metrics(request: HttpRequest, params: Query[MetricsQuery]) -> dict[str, Any]:
    return partner.metrics(
        seller=authorised_seller(request),
        date_from=params.date_from,
        date_to=params.date_to,
    )


@router.get(
    "/health",
    response=PartnerHealthOut,
    by_alias=True,
    summary="Integration health: API and webhook success rate, p95 latency, last errors",
    auth=INTEGRATION,
)
def get_health(request: HttpRequest) -> dict[str, Any]:
    return partner.integration_health(seller=authorised_seller(request))
