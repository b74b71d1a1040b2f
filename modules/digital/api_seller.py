"""The seller's API of digital goods, mounted at ``/api/v1/digital/seller/`` behind the
manifest's permissions (so it sets no auth of its own): a product's terms, its files
(uploads in versions, external links; renamed, reordered, removed), uploading a version
(multipart), the download log and stats, and "who leaked this?" for a PDF found in the wild.
Another seller's product or file answers 404 like one that does not exist."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from core.schemas import StrictSchema
from core.sellers.auth import authorised_seller
from modules.digital.models import DigitalFile, DigitalProduct, FileVersion
from modules.digital.services import products, stamping, stats

router = Router(tags=["digital"])


class TermsIn(StrictSchema):
    licence_kind: str = Field("personal", max_length=12)
    licence_text: str = Field("", max_length=20_000)
    download_limit: int | None = None
    update_months: int | None = None
    notify_updates: bool = True
    allow_limit_reset: bool = False
    stamp_pdfs: bool = True
    stamp_corner: str = Field("bottom-right", max_length=12)
    watermark_images: bool = False
    protect_pdfs: bool = False


class TermsOut(Schema):
    product_id: int
    licence_kind: str
    licence_text: str
    download_limit: int | None
    update_months: int | None
    notify_updates: bool
    allow_limit_reset: bool
    stamp_pdfs: bool
    stamp_corner: str
    watermark_images: bool
    protect_pdfs: bool


class VersionOut(Schema):
    id: int
    number: int
    original_name: str
    content_type: str
    size: int
    sha256: str
    changelog: str
    created_at: datetime


class FileOut(Schema):
    id: int
    title: str
    position: int
    external_url: str
    latest_version: VersionOut | None


class FileIn(StrictSchema):
    title: str = Field(..., max_length=200)
    external_url: str = Field("", max_length=1000)


class FilePatch(StrictSchema):
    title: str | None = Field(None, max_length=200)
    external_url: str | None = Field(None, max_length=1000)


class OrderIn(StrictSchema):
    file_ids: list[int] = Field(..., max_length=200)


class ProductOut(Schema):
    id: int
    name: str
    has_terms: bool


class LogRowOut(Schema):
    id: int
    at: datetime
    buyer_email: str
    ip: str | None
    user_agent: str
    file_title: str
    version_number: int
    order_id: int


class LogPageOut(Schema):
    rows: list[LogRowOut]
    next_before: int | None


class LogQuery(StrictSchema):
    before: int | None = None
    limit: int = Field(50, ge=1, le=200)


class VersionCountOut(Schema):
    file_id: int
    file_title: str
    version_id: int
    number: int
    downloads: int


class DayCountOut(Schema):
    day: date
    downloads: int


class StatsOut(Schema):
    total: int
    unique_buyers: int
    per_version: list[VersionCountOut]
    per_day: list[DayCountOut]


class LeakOut(Schema):
    found: bool
    message: str
    order_id: int | None = None
    buyer_email: str | None = None
    buyer_name: str | None = None
    file_title: str | None = None
    version_number: int | None = None
    stamped_at: datetime | None = None


def terms_dict(terms: DigitalProduct) -> dict[str, Any]:
    return {
        "product_id": terms.product_id,
        "licence_kind": terms.licence_kind,
        "licence_text": terms.licence_text,
        "download_limit": terms.download_limit,
        "update_months": terms.update_months,
        "notify_updates": terms.notify_updates,
        "allow_limit_reset": terms.allow_limit_reset,
        "stamp_pdfs": terms.stamp_pdfs,
        "stamp_corner": terms.stamp_corner,
        "watermark_images": terms.watermark_images,
        "protect_pdfs": terms.protect_pdfs,
    }


def file_dict(row: DigitalFile, latest: FileVersion | None) -> dict[str, Any]:
    return {
        "id": row.pk,
        "title": row.title,
        "position": row.position,
        "external_url": row.external_url,
        "latest_version": latest,
    }


def files_of(seller_id: int, product_id: int) -> list[dict[str, Any]]:
    terms = products.terms_of(seller_id=seller_id, product_id=product_id)
    if terms is None:
        return []
    rows = list(terms.files.filter(removed_at__isnull=True).prefetch_related("versions"))
    # Versions are ordered newest first (FileVersion.Meta.ordering).
    return [file_dict(row, next(iter(row.versions.all()), None)) for row in rows]


def leak_dict(leak: stamping.Leak | None) -> dict[str, Any]:
    if leak is None:
        return {"found": False, "message": "This PDF carries no Souk fingerprint."}
    if leak.copy is None:
        return {
            "found": False,
            "message": "This PDF was stamped by Souk, but not as a copy of one of your products.",
        }
    entitlement = leak.copy.entitlement
    return {
        "found": True,
        "message": "Found the order this copy was made for.",
        "order_id": entitlement.order_line.order_id,
        "buyer_email": entitlement.buyer.email,
        "buyer_name": getattr(entitlement.buyer, "full_name", "") or "",
        "file_title": leak.copy.version.file.title,
        "version_number": leak.copy.version.number,
        "stamped_at": leak.copy.ready_at,
    }


@router.get("/products", response=list[ProductOut], summary="Your digital products")
def list_products(request: HttpRequest) -> list[dict[str, Any]]:
    seller = authorised_seller(request)
    rows = products.sellers_digital_products(seller.pk)
    with_terms = set(
        DigitalProduct.objects.filter(product__in=rows).values_list("product_id", flat=True)
    )
    return [{"id": row.pk, "name": row.name, "has_terms": row.pk in with_terms} for row in rows]


@router.get("/products/{product_id}/terms", response=TermsOut, summary="A product's terms")
def get_terms(request: HttpRequest, product_id: int) -> dict[str, Any]:
    seller = authorised_seller(request)
    terms = products.terms_of(seller_id=seller.pk, product_id=product_id)
    return terms_dict(terms or DigitalProduct(product_id=product_id))


@router.put(
    "/products/{product_id}/terms",
    response=TermsOut,
    summary="Set a product's terms (licence, limits, updates, stamping)",
)
def put_terms(request: HttpRequest, product_id: int, payload: TermsIn) -> dict[str, Any]:
    terms = products.set_terms(
        seller_id=authorised_seller(request).pk,
        product_id=product_id,
        data=products.TermsData(**payload.model_dump()),
    )
    return terms_dict(terms)


@router.get("/products/{product_id}/files", response=list[FileOut], summary="A product's files")
def list_files(request: HttpRequest, product_id: int) -> list[dict[str, Any]]:
    return files_of(authorised_seller(request).pk, product_id)


@router.post(
    "/products/{product_id}/files",
    response={201: FileOut},
    summary="Add a file (upload its versions next) or an external https link",
)
def add_file(request: HttpRequest, product_id: int, payload: FileIn) -> Status[Any]:
    added = products.add_file(
        seller_id=authorised_seller(request).pk,
        product_id=product_id,
        title=payload.title,
        external_url=payload.external_url,
    )
    return Status(201, file_dict(added, None))


@router.put(
    "/products/{product_id}/files/order",
    response=list[FileOut],
    summary="Reorder the product's files (every file once)",
)
def reorder_files(request: HttpRequest, product_id: int, payload: OrderIn) -> Any:
    seller = authorised_seller(request)
    products.reorder_files(seller_id=seller.pk, product_id=product_id, file_ids=payload.file_ids)
    return files_of(seller.pk, product_id)


@router.patch("/files/{file_id}", response=FileOut, summary="Rename a file or change its link")
def patch_file(request: HttpRequest, file_id: int, payload: FilePatch) -> dict[str, Any]:
    changed = products.update_file(
        seller_id=authorised_seller(request).pk,
        file_id=file_id,
        title=payload.title,
        external_url=payload.external_url,
    )
    return file_dict(changed, changed.versions.first())


@router.delete(
    "/files/{file_id}",
    response={204: None},
    summary="Stop offering a file (its versions stay in the download log)",
)
def remove_file(request: HttpRequest, file_id: int) -> Status[None]:
    products.remove_file(seller_id=authorised_seller(request).pk, file_id=file_id)
    return Status(204, None)


@router.get("/files/{file_id}/versions", response=list[VersionOut], summary="A file's versions")
def list_versions(request: HttpRequest, file_id: int) -> list[FileVersion]:
    found = products.sellers_file(seller_id=authorised_seller(request).pk, file_id=file_id)
    return list(found.versions.order_by("-number")[:500])


@router.post(
    "/files/{file_id}/versions",
    response={201: VersionOut},
    summary="Upload a new version of a file (multipart: file, changelog)",
)
def upload_version(
    request: HttpRequest,
    file_id: int,
    file: File[UploadedFile],
    changelog: str = Form("", max_length=5000),  # type: ignore[type-arg]
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
    summary="The download log, newest first (pass next_before as before for older ones)",
)
def downloads_log(request: HttpRequest, product_id: int, query: Query[LogQuery]) -> Any:
    return stats.download_log(
        seller_id=authorised_seller(request).pk,
        product_id=product_id,
        before=query.before,
        limit=query.limit,
    )


@router.get(
    "/products/{product_id}/stats",
    response=StatsOut,
    summary="Downloads per version and per day (30 days), unique buyers",
)
def product_stats(request: HttpRequest, product_id: int) -> Any:
    return stats.product_stats(seller_id=authorised_seller(request).pk, product_id=product_id)


@router.post(
    "/leaks",
    response=LeakOut,
    summary="Who leaked this? Upload a PDF: the order and buyer it was stamped for",
)
def leaks(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    leak = stamping.who_leaked(seller_id=authorised_seller(request).pk, upload=file)
    return leak_dict(leak)


# Mounted last: their handlers use the schemas above.
from modules.digital.api_previews import router as previews_router  # noqa: E402
from modules.digital.api_uploads import router as uploads_router  # noqa: E402

router.add_router("", previews_router)
router.add_router("", uploads_router)
