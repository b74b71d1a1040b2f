"""Licence management over the API, under ``/api/v1/licenses/``:

- buyers: ``GET /mine``, ``GET /mine/{id}``, ``POST /mine/{id}/machines/{machine_id}/deactivate``;
- sellers setting up a software product (``manage_products``, the permission of every product
  edit, like the catalogue's): ``GET|PUT /seller/products/{id}/software`` and
  ``POST /seller/products/{id}/policies``, ``PUT /seller/products/{id}/policies/{policy_id}``.

Sellers' licence management is the module's seller router (``api_seller.py``). Another user's
licence, and another seller's product, are 404 like ones that do not exist. Module routers are
mounted without authentication (the validation API is public), so these routers set their own:
a bearer token or a signed-in session (+CSRF), as everywhere else."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from core.accounts.auth import buyer_auth
from core.accounts.models import TokenScope
from core.accounts.principal import principal_of
from core.catalog.models import Product
from core.pagination import keyset_page
from core.sellers.auth import authorised_seller, seller_team_auth
from core.sellers.models import TeamPermission
from modules.licensing import presenters_licenses as presenters
from modules.licensing import selectors
from modules.licensing.models import License, Policy, SoftwareDetails
from modules.licensing.schemas_licenses import (
    BuyerLicenseOut,
    BuyerLicensePageOut,
    LicenseListQuery,
    PolicyIn,
    SoftwareIn,
    SoftwareOut,
)
from modules.licensing.services import lifecycle, software

licenses_router = Router(auth=buyer_auth(TokenScope.READ), tags=["licensing"])
# Mounted at /seller/products by the module's router.
software_router = Router(auth=seller_team_auth(TeamPermission.MANAGE_PRODUCTS), tags=["licensing"])


def licenses_page(
    queryset: QuerySet[License], params: LicenseListQuery
) -> tuple[list[License], Any]:
    if params.status:
        queryset = queryset.filter(status=params.status)
    if params.product_id:
        queryset = queryset.filter(product_id=params.product_id)
    return keyset_page(
        queryset, ordering=("-id",), limit=max(1, min(params.limit, 100)), cursor=params.cursor
    )


# --- buyers -------------------------------------------------------------------------------------


@licenses_router.get("/mine", response=BuyerLicensePageOut, summary="Your licences, newest first")
def my_licenses(request: HttpRequest, params: Query[LicenseListQuery]) -> dict[str, Any]:
    rows, cursor = licenses_page(selectors.buyer_licenses(principal_of(request).user), params)
    return {"items": [presenters.buyer_license_dict(row) for row in rows], "next_cursor": cursor}


@licenses_router.get("/mine/{license_id}", response=BuyerLicenseOut, summary="One of your licences")
def my_license(request: HttpRequest, license_id: int) -> dict[str, Any]:
    return presenters.buyer_license_dict(
        selectors.buyers_license(principal_of(request).user, license_id)
    )


@licenses_router.post(
    "/mine/{license_id}/machines/{machine_id}/deactivate",
    response=BuyerLicenseOut,
    summary="Free a seat: deactivate one of your machines",
    auth=buyer_auth(TokenScope.WRITE),
)
def deactivate_my_machine(request: HttpRequest, license_id: int, machine_id: int) -> dict[str, Any]:
    buyer = principal_of(request).user
    license = selectors.buyers_license(buyer, license_id)
    lifecycle.deactivate_machine(license=license, machine_id=machine_id, actor_label="buyer")
    return presenters.buyer_license_dict(selectors.buyers_license(buyer, license_id))


# --- sellers: software set-up -------------------------------------------------------------------


def _products(request: HttpRequest, product_id: int) -> Product:
    return software.sellers_software(seller=authorised_seller(request), product_id=product_id)


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


@software_router.get(
    "/{product_id}/software", response=SoftwareOut, summary="A software product's licensing set-up"
)
def get_software(request: HttpRequest, product_id: int) -> dict[str, Any]:
    return _software(_products(request, product_id))


@software_router.put(
    "/{product_id}/software",
    response=SoftwareOut,
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


@software_router.post(
    "/{product_id}/policies",
    response={201: SoftwareOut},
    summary="Add a licence policy (the first is the default)",
)
def add_policy(request: HttpRequest, product_id: int, payload: PolicyIn) -> Status[dict[str, Any]]:
    product = _products(request, product_id)
    software.create_policy(
        product=product, data=_policy_data(payload), is_default=payload.is_default
    )
    return Status(201, _software(product))


@software_router.put(
    "/{product_id}/policies/{policy_id}",
    response=SoftwareOut,
    summary="Replace a policy (its licences follow, their own limits stay)",
)
def change_policy(
    request: HttpRequest, product_id: int, policy_id: int, payload: PolicyIn
) -> dict[str, Any]:
    product = _products(request, product_id)
    policy = software.products_policy(product=product, policy_id=policy_id)
    software.update_policy(policy=policy, data=_policy_data(payload), is_default=payload.is_default)
    return _software(product)
