"""Licence management over the API, under ``/api/v1/licenses/``:

- buyers: ``GET /mine``, ``GET /mine/{id}``, ``POST /mine/{id}/machines/{machine_id}/deactivate``;
- sellers (team permission ``manage_customers``): ``GET /seller/licenses`` (filter by product,
  status, buyer e-mail), ``GET /seller/licenses/{id}`` (machines and usage), ``POST .../extend``,
  ``.../suspend``, ``.../reinstate``, ``.../reset-activations``, ``PATCH /seller/licenses/{id}``
  (the activation limit);
- sellers (``manage_products``): ``GET|PUT /seller/products/{id}/software`` and
  ``POST /seller/products/{id}/policies``, ``PUT /seller/products/{id}/policies/{policy_id}``.

Another user's licence, and another seller's product, are 404 like ones that do not exist.
Module routers are mounted without authentication (the validation API is public), so this
router sets its own: a bearer token or a signed-in session (+CSRF), as everywhere else."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from core.accounts.auth import user_auth
from core.accounts.models import TokenScope, User
from core.accounts.principal import principal_of, require_scope, require_two_factor
from core.catalog.models import Product
from core.pagination import keyset_page
from core.sellers.models import Seller, TeamPermission
from core.sellers.selectors import acting_seller
from modules.licensing import presenters_licenses as presenters
from modules.licensing import selectors
from modules.licensing.models import License, Policy, SoftwareDetails
from modules.licensing.schemas_licenses import (
    ExtendIn,
    LicenseListQuery,
    MaxActivationsIn,
    PolicyIn,
    ReinstateIn,
    SellerLicenseListQuery,
    SoftwareIn,
    SuspendIn,
)
from modules.licensing.services import lifecycle, software

licenses_router = Router(auth=user_auth, tags=["licensing"])


def _page(queryset: QuerySet[License], params: LicenseListQuery) -> tuple[list[License], Any]:
    if params.status:
        queryset = queryset.filter(status=params.status)
    if params.product_id:
        queryset = queryset.filter(product_id=params.product_id)
    return keyset_page(
        queryset, ordering=("-id",), limit=max(1, min(params.limit, 100)), cursor=params.cursor
    )


# --- buyers -------------------------------------------------------------------------------------


def _buyer(request: HttpRequest, *, write: bool = False) -> User:
    principal = principal_of(request)
    require_scope(principal, TokenScope.WRITE if write else TokenScope.READ)
    return principal.user


@licenses_router.get("/mine", summary="Your licences, newest first")
def my_licenses(request: HttpRequest, params: Query[LicenseListQuery]) -> dict[str, Any]:
    rows, cursor = _page(selectors.buyer_licenses(_buyer(request)), params)
    return {"items": [presenters.buyer_license_dict(row) for row in rows], "next_cursor": cursor}


@licenses_router.get("/mine/{license_id}", summary="One of your licences")
def my_license(request: HttpRequest, license_id: int) -> dict[str, Any]:
    return presenters.buyer_license_dict(selectors.buyers_license(_buyer(request), license_id))


@licenses_router.post(
    "/mine/{license_id}/machines/{machine_id}/deactivate",
    summary="Free a seat: deactivate one of your machines",
)
def deactivate_my_machine(request: HttpRequest, license_id: int, machine_id: int) -> dict[str, Any]:
    buyer = _buyer(request, write=True)
    license = selectors.buyers_license(buyer, license_id)
    lifecycle.deactivate_machine(license=license, machine_id=machine_id, actor_label="buyer")
    return presenters.buyer_license_dict(selectors.buyers_license(buyer, license_id))


# --- sellers: their customers' licences ---------------------------------------------------------


def _seller(request: HttpRequest, permission: TeamPermission) -> tuple[Seller, str]:
    principal = principal_of(request)
    require_scope(principal, TokenScope.SELLER)
    require_two_factor(principal)
    return acting_seller(principal.user, permission), f"seller:{principal.user.pk}"


def _customers(request: HttpRequest, license_id: int) -> tuple[Seller, License, str]:
    seller, actor = _seller(request, TeamPermission.MANAGE_CUSTOMERS)
    return seller, selectors.sellers_license(seller, license_id), actor


def _seller_detail(seller: Seller, license_id: int) -> dict[str, Any]:
    license = selectors.sellers_license(seller, license_id)
    return presenters.seller_license_dict(license, with_usage=True)


@licenses_router.get("/seller/licenses", summary="Your customers' licences, newest first")
def seller_licenses(request: HttpRequest, params: Query[SellerLicenseListQuery]) -> dict[str, Any]:
    seller, _ = _seller(request, TeamPermission.MANAGE_CUSTOMERS)
    queryset = selectors.seller_licenses(seller)
    if params.buyer_email:
        queryset = queryset.filter(buyer__email__iexact=params.buyer_email.strip())
    rows, cursor = _page(queryset, params)
    return {
        "items": [presenters.seller_license_dict(row) for row in rows],
        "next_cursor": cursor,
    }


@licenses_router.get(
    "/seller/licenses/{license_id}", summary="A customer's licence: machines and usage"
)
def seller_license(request: HttpRequest, license_id: int) -> dict[str, Any]:
    _, license, _ = _customers(request, license_id)
    return presenters.seller_license_dict(license, with_usage=True)


@licenses_router.post(
    "/seller/licenses/{license_id}/extend",
    summary="Extend a licence (an expired one is active again)",
)
def extend_license(request: HttpRequest, license_id: int, payload: ExtendIn) -> dict[str, Any]:
    seller, license, actor = _customers(request, license_id)
    lifecycle.extend(
        license=license, days=payload.days, expires_at=payload.expires_at, actor_label=actor
    )
    return _seller_detail(seller, license_id)


@licenses_router.post("/seller/licenses/{license_id}/suspend", summary="Suspend a licence")
def suspend_license(request: HttpRequest, license_id: int, payload: SuspendIn) -> dict[str, Any]:
    seller, license, actor = _customers(request, license_id)
    reason = " ".join(payload.reason.split())
    if not reason:
        raise lifecycle.invalid_field("reason", "Say why the licence is suspended.")
    lifecycle.suspend(license=license, reason=reason, actor_label=actor)
    return _seller_detail(seller, license_id)


@licenses_router.post(
    "/seller/licenses/{license_id}/reinstate", summary="Reinstate a suspended licence"
)
def reinstate_license(
    request: HttpRequest, license_id: int, payload: ReinstateIn
) -> dict[str, Any]:
    seller, license, actor = _customers(request, license_id)
    lifecycle.reinstate(license=license, reason=" ".join(payload.reason.split()), actor_label=actor)
    return _seller_detail(seller, license_id)


@licenses_router.post(
    "/seller/licenses/{license_id}/reset-activations",
    summary="Deactivate every machine of a licence",
)
def reset_license_activations(request: HttpRequest, license_id: int) -> dict[str, Any]:
    seller, license, actor = _customers(request, license_id)
    removed = lifecycle.reset_activations(license=license, actor_label=actor)
    return {"deactivated": removed, "license": _seller_detail(seller, license_id)}


@licenses_router.patch(
    "/seller/licenses/{license_id}", summary="Change a licence's activation limit"
)
def change_license(
    request: HttpRequest, license_id: int, payload: MaxActivationsIn
) -> dict[str, Any]:
    seller, license, actor = _customers(request, license_id)
    lifecycle.set_max_activations(
        license=license, max_activations=payload.max_activations, actor_label=actor
    )
    return _seller_detail(seller, license_id)


# --- sellers: software set-up -------------------------------------------------------------------


def _products(request: HttpRequest, product_id: int) -> Product:
    seller, _ = _seller(request, TeamPermission.MANAGE_PRODUCTS)
    return software.sellers_software(seller=seller, product_id=product_id)


def _software(product: Product) -> dict[str, Any]:
    details = SoftwareDetails.objects.filter(product=product).first()
    policies = list(Policy.objects.filter(product=product).order_by("id"))
    return presenters.software_dict(details, policies)


def _policy_data(payload: PolicyIn) -> software.PolicyData:
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


@licenses_router.get(
    "/seller/products/{product_id}/software", summary="A software product's licensing set-up"
)
def get_software(request: HttpRequest, product_id: int) -> dict[str, Any]:
    return _software(_products(request, product_id))


@licenses_router.put(
    "/seller/products/{product_id}/software",
    summary="Set a software product's licence type, provisioning and trial",
)
def put_software(request: HttpRequest, product_id: int, payload: SoftwareIn) -> dict[str, Any]:
    product = _products(request, product_id)
    software.set_up_software(
        product=product,
        data=software.SoftwareData(
            license_type=payload.license_type,
            provisioning=payload.provisioning,
            provisioning_url=payload.provisioning_url,
            deprovisioning_url=payload.deprovisioning_url,
            integration_notes=payload.integration_notes,
            trial_days=payload.trial_days,
        ),
    )
    return _software(product)


@licenses_router.post(
    "/seller/products/{product_id}/policies",
    response={201: dict[str, Any]},
    summary="Add a licence policy (the first is the default)",
)
def add_policy(request: HttpRequest, product_id: int, payload: PolicyIn) -> Status[dict[str, Any]]:
    product = _products(request, product_id)
    software.create_policy(
        product=product, data=_policy_data(payload), is_default=payload.is_default
    )
    return Status(201, _software(product))


@licenses_router.put(
    "/seller/products/{product_id}/policies/{policy_id}",
    summary="Replace a policy (its licences follow, their own limits stay)",
)
def change_policy(
    request: HttpRequest, product_id: int, policy_id: int, payload: PolicyIn
) -> dict[str, Any]:
    product = _products(request, product_id)
    policy = software.products_policy(product=product, policy_id=policy_id)
    software.update_policy(policy=policy, data=_policy_data(payload), is_default=payload.is_default)
    return _software(product)
