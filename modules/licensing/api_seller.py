"""Sellers' management of their customers' licences, the module's seller router, mounted at
``/api/v1/licenses/seller/`` by the composition root behind the manifest's ``permissions``
(``manage_customers``): ``GET /licenses`` (filter by product, status, buyer e-mail),
``GET /licenses/{id}`` (machines and usage), ``POST .../extend``, ``.../suspend``,
``.../reinstate``, ``.../reset-activations``, ``PATCH /licenses/{id}`` (the activation limit).

Authorised once, on the router: handlers read the seller with ``authorised_seller``. Another
seller's licence is a 404 like one that does not exist."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from core.accounts.principal import principal_of
from core.sellers.auth import authorised_seller
from core.sellers.models import Seller
from modules.licensing import presenters_licenses as presenters
from modules.licensing import selectors
from modules.licensing.api_licenses import licenses_page
from modules.licensing.models import License
from modules.licensing.schemas_licenses import (
    ExtendIn,
    MaxActivationsIn,
    ReinstateIn,
    ResetActivationsOut,
    SellerLicenseListQuery,
    SellerLicenseOut,
    SellerLicensePageOut,
    SuspendIn,
)
from modules.licensing.services import lifecycle

router = Router(tags=["licensing"])


def _customers(request: HttpRequest, license_id: int) -> tuple[Seller, License, str]:
    seller = authorised_seller(request)
    actor = f"seller:{principal_of(request).user.pk}"
    return seller, selectors.sellers_license(seller, license_id), actor


def _seller_detail(seller: Seller, license_id: int) -> dict[str, Any]:
    license = selectors.sellers_license(seller, license_id)
    return presenters.seller_license_dict(license, with_usage=True)


@router.get(
    "/licenses",
    response=SellerLicensePageOut,
    exclude_unset=True,
    summary="Your customers' licences, newest first",
)
def seller_licenses(request: HttpRequest, params: Query[SellerLicenseListQuery]) -> dict[str, Any]:
    queryset = selectors.seller_licenses(authorised_seller(request))
    if params.buyer_email:
        queryset = queryset.filter(buyer__email__iexact=params.buyer_email.strip())
    rows, cursor = licenses_page(queryset, params)
    return {
        "items": [presenters.seller_license_dict(row) for row in rows],
        "next_cursor": cursor,
    }


@router.get(
    "/licenses/{license_id}",
    response=SellerLicenseOut,
    exclude_unset=True,
    summary="A customer's licence: machines and usage",
)
def seller_license(request: HttpRequest, license_id: int) -> dict[str, Any]:
    _, license, _ = _customers(request, license_id)
    return presenters.seller_license_dict(license, with_usage=True)


@router.post(
    "/licenses/{license_id}/extend",
    response=SellerLicenseOut,
    exclude_unset=True,
    summary="Extend a licence (an expired one is active again)",
)
def extend_license(request: HttpRequest, license_id: int, payload: ExtendIn) -> dict[str, Any]:
    seller, license, actor = _customers(request, license_id)
    lifecycle.extend(
        license=license, days=payload.days, expires_at=payload.expires_at, actor_label=actor
    )
    return _seller_detail(seller, license_id)


@router.post(
    "/licenses/{license_id}/suspend",
    response=SellerLicenseOut,
    exclude_unset=True,
    summary="Suspend a licence",
)
def suspend_license(request: HttpRequest, license_id: int, payload: SuspendIn) -> dict[str, Any]:
    seller, license, actor = _customers(request, license_id)
    reason = " ".join(payload.reason.split())
    if not reason:
        raise lifecycle.invalid_field("reason", "Say why the licence is suspended.")
    lifecycle.suspend(license=license, reason=reason, actor_label=actor)
    return _seller_detail(seller, license_id)


@router.post(
    "/licenses/{license_id}/reinstate",
    response=SellerLicenseOut,
    exclude_unset=True,
    summary="Reinstate a suspended licence",
)
def reinstate_license(
    request: HttpRequest, license_id: int, payload: ReinstateIn
) -> dict[str, Any]:
    seller, license, actor = _customers(request, license_id)
    lifecycle.reinstate(license=license, reason=" ".join(payload.reason.split()), actor_label=actor)
    return _seller_detail(seller, license_id)


@router.post(
    "/licenses/{license_id}/reset-activations",
    response=ResetActivationsOut,
    exclude_unset=True,
    summary="Deactivate every machine of a licence",
)
def reset_license_activations(request: HttpRequest, license_id: int) -> dict[str, Any]:
    seller, license, actor = _customers(request, license_id)
    removed = lifecycle.reset_activations(license=license, actor_label=actor)
    return {"deactivated": removed, "license": _seller_detail(seller, license_id)}


@router.patch(
    "/licenses/{license_id}",
    response=SellerLicenseOut,
    exclude_unset=True,
    summary="Change a licence's activation limit",
)
def change_license(
    request: HttpRequest, license_id: int, payload: MaxActivationsIn
) -> dict[str, Any]:
    seller, license, actor = _customers(request, license_id)
    lifecycle.set_max_activations(
        license=license, max_activations=payload.max_activations, actor_label=actor
    )
    return _seller_detail(seller, license_id)
