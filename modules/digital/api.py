"""The buyer's API of digital goods, mounted at ``/api/v1/digital/``: the library, one
purchase's files and versions with downloads left, a download link, and the self-service
reset of download limits where the seller allows it. Another buyer's purchase is not found;
refusals come back in the module's error envelope (``DigitalError``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from core.accounts.auth import user_auth
from core.accounts.principal import principal_of
from core.ratelimit import client_ip
from modules.digital.services import downloads, library

router = Router(tags=["digital"])


class VersionOut(Schema):
    id: int
    number: int
    name: str
    size: int
    changelog: str
    sha256: str
    published_at: datetime
    downloads_left: int | None
    download_limit: int | None
    stamp: str


class FileOut(Schema):
    id: int
    title: str
    external_url: str
    latest: VersionOut | None
    earlier: list[VersionOut]


class PurchaseOut(Schema):
    entitlement_id: int
    order_id: int
    product_id: int
    product_name: str
    seller_name: str
    licence_kind: str
    licence_text: str
    granted_at: datetime
    updates_until: datetime | None
    download_limit: int | None
    refunded: bool
    status: str
    can_reset: bool
    files: list[FileOut]


class LinkOut(Schema):
    url: str
    expires_at: datetime
    name: str
    size: int
    stamped: bool


class ResetOut(Schema):
    forgiven: int
    purchase: PurchaseOut


def _purchase(entry: library.LibraryEntry) -> dict[str, Any]:
    return {
        "entitlement_id": entry.entitlement_id,
        "order_id": entry.order_id,
        "product_id": entry.product_id,
        "product_name": entry.product_name,
        "seller_name": entry.seller_name,
        "licence_kind": entry.licence_kind,
        "licence_text": entry.licence_text,
        "granted_at": entry.granted_at,
        "updates_until": entry.updates_until,
        "download_limit": entry.download_limit,
        "refunded": entry.refunded,
        "status": entry.status,
        "can_reset": entry.can_reset,
        "files": entry.files,
    }


def request_ip(request: HttpRequest) -> str | None:
    """The client's address for the download log (None when it cannot be told)."""
    ip = client_ip(request)
    return None if ip == "unknown" else ip


def user_agent_of(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:300]


@router.get("/library", response=list[PurchaseOut], auth=user_auth, summary="Your library")
def my_library(request: HttpRequest) -> list[dict[str, Any]]:
    buyer = principal_of(request).user
    return [_purchase(entry) for entry in library.library_of(buyer.pk)]


@router.get(
    "/library/{entitlement_id}",
    response=PurchaseOut,
    auth=user_auth,
    summary="One purchase: its files, versions and downloads left",
)
def one_purchase(request: HttpRequest, entitlement_id: int) -> dict[str, Any]:
    buyer = principal_of(request).user
    return _purchase(library.entry_of(buyer.pk, entitlement_id))


@router.post(
    "/library/{entitlement_id}/versions/{version_id}/download",
    response=LinkOut,
    auth=user_auth,
    summary="A short-lived link to download a version (counts as a download)",
)
def download(request: HttpRequest, entitlement_id: int, version_id: int) -> dict[str, Any]:
    buyer = principal_of(request).user
    grant = downloads.authorise(
        buyer_id=buyer.pk,
        entitlement_id=entitlement_id,
        version_id=version_id,
        ip=request_ip(request),
        user_agent=user_agent_of(request),
    )
    return {
        "url": request.build_absolute_uri(grant.url) if grant.url.startswith("/") else grant.url,
        "expires_at": grant.expires_at,
        "name": grant.name,
        "size": grant.size,
        "stamped": grant.stamped,
    }


@router.post(
    "/library/{entitlement_id}/reset",
    response=ResetOut,
    auth=user_auth,
    summary="Reset your downloads of a purchase, where the seller allows it",
)
def reset(request: HttpRequest, entitlement_id: int) -> dict[str, Any]:
    buyer = principal_of(request).user
    forgiven = downloads.reset_limit(buyer_id=buyer.pk, entitlement_id=entitlement_id)
    return {"forgiven": forgiven, "purchase": _purchase(library.entry_of(buyer.pk, entitlement_id))}
