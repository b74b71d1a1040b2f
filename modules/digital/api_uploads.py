"""Seller API: uploads straight to the bucket (mounted into ``api_seller.router``).

Where files live on S3, a large version skips Souk: ``POST /files/{id}/uploads`` signs a
POST the client sends the file to (``url`` + ``fields``, then the file as the form's last
field, ``file``), and ``POST /files/{id}/uploads/{upload_key}/complete`` turns what arrived
into the next version, checked exactly like ``POST /files/{id}/versions``. On a marketplace
that stores files itself both answer 409 ``direct_upload_unavailable``: use the ordinary
multipart upload."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema, Status

from core.schemas import StrictSchema
from core.sellers.auth import authorised_seller
from modules.digital.api_seller import VersionOut
from modules.digital.services import direct_uploads

router: Router = Router(tags=["digital"])


class UploadStartIn(StrictSchema):
    name: str = Field("", max_length=255, description="The file's name, for the size check")
    size: int | None = Field(None, ge=0, description="Its size in bytes, checked before sending")


class UploadTicketOut(Schema):
    upload_key: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_at: datetime


class UploadCompleteIn(StrictSchema):
    name: str = Field(..., max_length=255)
    changelog: str = Field("", max_length=5000)


@router.post(
    "/files/{file_id}/uploads",
    response={201: UploadTicketOut},
    summary="Start a direct upload to the bucket (S3 only): a signed POST for the file",
)
def start_upload(request: HttpRequest, file_id: int, payload: UploadStartIn) -> Status[Any]:
    ticket = direct_uploads.start_upload(
        seller_id=authorised_seller(request).pk,
        file_id=file_id,
        name=payload.name,
        size=payload.size,
    )
    return Status(201, ticket)


@router.post(
    "/files/{file_id}/uploads/{upload_key}/complete",
    response={201: VersionOut},
    summary="Publish a direct upload as the file's next version (again: the same version)",
)
def complete_upload(
    request: HttpRequest,
    file_id: int,
    payload: UploadCompleteIn,
    upload_key: str = Path(..., max_length=32),  # type: ignore[type-arg]
) -> Status[Any]:
    version = direct_uploads.complete_upload(
        seller_id=authorised_seller(request).pk,
        file_id=file_id,
        upload_key=upload_key,
        name=payload.name,
        changelog=payload.changelog,
    )
    return Status(201, version)
