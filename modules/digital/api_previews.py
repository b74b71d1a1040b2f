"""Seller API: a product's public previews (mounted into ``api_seller.router``, so behind the
manifest's permissions): list them, add the seller's own (multipart), replace one, remove
one, put them in order, and see how each file's latest version was previewed (a failure with
its reason). A refused upload answers the module's field error; another seller's product or
preview answers 404 like one that does not exist."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from core.schemas import StrictSchema
from core.sellers.auth import authorised_seller
from modules.digital.models import Preview
from modules.digital.services import previews

router = Router(tags=["digital"])


class PreviewSourceOut(Schema):
    version_id: int
    version_number: int
    file_id: int
    file_title: str


class PreviewOut(Schema):
    id: int
    kind: str
    url: str
    content_type: str
    width: int | None
    height: int | None
    position: int
    is_custom: bool
    source: PreviewSourceOut | None


class PreviewOrderIn(StrictSchema):
    preview_ids: list[int] = Field(..., max_length=200)


class PreviewStatusOut(Schema):
    file_id: int
    file_title: str
    version_id: int
    version_number: int
    status: str
    status_label: str
    error: str


def preview_dict(request: HttpRequest, preview: Preview) -> dict[str, Any]:
    source = preview.source
    return {
        "id": preview.pk,
        "kind": preview.kind,
        "url": request.build_absolute_uri(reverse("digital:preview", args=[preview.key])),
        "content_type": preview.content_type,
        "width": preview.width,
        "height": preview.height,
        "position": preview.position,
        "is_custom": preview.is_custom,
        "source": None
        if source is None
        else {
            "version_id": source.pk,
            "version_number": source.number,
            "file_id": source.file_id,
            "file_title": source.file.title,
        },
    }


def _listed(request: HttpRequest, seller_id: int, product_id: int) -> list[dict[str, Any]]:
    found = previews.sellers_previews(seller_id=seller_id, product_id=product_id)
    return [preview_dict(request, preview) for preview in found]


@router.get(
    "/products/{product_id}/previews",
    response=list[PreviewOut],
    summary="A product's public previews, in the order buyers see them",
)
def list_previews(request: HttpRequest, product_id: int) -> list[dict[str, Any]]:
    return _listed(request, authorised_seller(request).pk, product_id)


@router.get(
    "/products/{product_id}/previews/status",
    response=list[PreviewStatusOut],
    summary="Per file, how its latest version was previewed (a failure with its reason)",
)
def preview_status(request: HttpRequest, product_id: int) -> list[previews.FilePreviewStatus]:
    return previews.preview_statuses(seller_id=authorised_seller(request).pk, product_id=product_id)


@router.post(
    "/products/{product_id}/previews",
    response={201: PreviewOut},
    summary="Add a preview of your own (multipart: file; an image, audio or video clip)",
)
def add_preview(request: HttpRequest, product_id: int, file: File[UploadedFile]) -> Status[Any]:
    added = previews.add_preview(
        seller_id=authorised_seller(request).pk,
        product_id=product_id,
        name=file.name or "upload",
        stream=file,
        size=file.size or 0,
    )
    return Status(201, preview_dict(request, added))


@router.put(
    "/products/{product_id}/previews/order",
    response=list[PreviewOut],
    summary="Put the product's previews in order (every preview once)",
)
def reorder_previews(
    request: HttpRequest, product_id: int, payload: PreviewOrderIn
) -> list[dict[str, Any]]:
    seller_id = authorised_seller(request).pk
    previews.reorder_previews(
        seller_id=seller_id, product_id=product_id, preview_ids=payload.preview_ids
    )
    return _listed(request, seller_id, product_id)


@router.post(
    "/previews/{preview_id}/replace",
    response=PreviewOut,
    summary="Replace a preview with your own file (multipart: file); it keeps its place",
)
def replace_preview(
    request: HttpRequest, preview_id: int, file: File[UploadedFile]
) -> dict[str, Any]:
    replaced = previews.replace_preview(
        seller_id=authorised_seller(request).pk,
        preview_id=preview_id,
        name=file.name or "upload",
        stream=file,
        size=file.size or 0,
    )
    return preview_dict(request, replaced)  # the seller's own now: no source to join


@router.delete(
    "/previews/{preview_id}",
    response={204: None},
    summary="Remove a preview from the product page",
)
def remove_preview(request: HttpRequest, preview_id: int) -> Status[None]:
    previews.remove_preview(seller_id=authorised_seller(request).pk, preview_id=preview_id)
    return Status(204, None)
