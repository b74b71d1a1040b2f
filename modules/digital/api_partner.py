"""Digital goods in the partner API (``/api/v1/partner/v1/digital/``), for a seller's own
systems with an API key: upload a new version of a file (multipart, with its changelog) and
read the download log. Every operation names the seller key permission it needs
(``core.sellers.auth.seller_key_auth``, checked before the body is read); everything is the
key's seller's, another seller's file or product answers 404. Every call lands in the
seller's integration log."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from core.integrations.api import log_partner_calls
from core.sellers.auth import authorised_seller, seller_key_auth
from core.sellers.models import TeamPermission
from modules.digital.api_seller import LogPageOut, LogQuery, VersionOut
from modules.digital.services import products, stats

router = Router(tags=["digital"])
router.add_decorator(log_partner_calls, mode="view")

PRODUCTS = seller_key_auth(TeamPermission.MANAGE_PRODUCTS)


@router.post(
    "/files/{file_id}/versions",
    response={201: VersionOut},
    auth=PRODUCTS,
    summary="Upload a new version of one of your files (multipart: file, changelog)",
)
def upload_version(
    request: HttpRequest,
    file_id: int,
    file: File[UploadedFile],
    changelog: Form[str] = "",
) -> Status[Any]:
    version = products.upload_version(
        file_id=file_id,
        seller_id=authorised_seller(request).pk,
        name=file.name or "upload",
        stream=file,
        size=file.size or 0,
        changelog=changelog,
    )
    return Status(201, version)


@router.get(
    "/products/{product_id}/downloads",
    response=LogPageOut,
    auth=PRODUCTS,
    summary="The product's download log, newest first (next_before pages back)",
)
def downloads_log(request: HttpRequest, product_id: int, query: Query[LogQuery]) -> Any:
    return stats.download_log(
        seller_id=authorised_seller(request).pk,
        product_id=product_id,
        before=query.before,
        limit=query.limit,
    )
