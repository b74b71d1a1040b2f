"""The seller's side of a digital product: its terms (licence, download limit, update
window, stamping, watermarks) and its files (uploaded ones, external https links; renamed,
reordered, removed softly so buyers' history keeps its versions).

Everything takes the acting ``seller_id``: another seller's product or file is not found,
exactly like one that does not exist. Terms belong to one of the seller's catalogue
products of type ``digital``; they are created with the defaults the first time they are
set (or a file is added)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from core.catalog.models import Product
from modules.digital.errors import DigitalErrorCode, invalid, not_found
from modules.digital.manifest import DIGITAL
from modules.digital.models import (
    DigitalFile,
    DigitalProduct,
    FileVersion,
    LicenceKind,
    StampCorner,
)
from modules.digital.services import versions

MAX_LICENCE_TEXT = 20_000
MAX_DOWNLOAD_LIMIT = 1000
MAX_UPDATE_MONTHS = 120
TERMS_ERROR = DigitalErrorCode.INVALID_TERMS


@dataclass(frozen=True)
class TermsData:
    licence_kind: str = LicenceKind.PERSONAL
    licence_text: str = ""
    download_limit: int | None = None  # None: unlimited
    update_months: int | None = None  # None: every future version
    notify_updates: bool = True
    allow_limit_reset: bool = False
    stamp_pdfs: bool = True
    stamp_corner: str = StampCorner.BOTTOM_RIGHT
    watermark_images: bool = False
    protect_pdfs: bool = False  # stamped copies encrypted: printable, not editable


def sellers_digital_products(seller_id: int) -> list[Product]:
    """The seller's catalogue products of type ``digital``, newest first."""
    return list(
        Product.objects.filter(seller_id=seller_id, product_type=DIGITAL).order_by("-id")[:200]
    )


def catalogue_product(*, seller_id: int, product_id: int) -> Product:
    product = Product.objects.filter(
        pk=product_id, seller_id=seller_id, product_type=DIGITAL
    ).first()
    if product is None:
        raise not_found("No such digital product.")
    return product


def terms_of(*, seller_id: int, product_id: int) -> DigitalProduct | None:
    """The product's terms; None while none were set (the product is the seller's)."""
    product = catalogue_product(seller_id=seller_id, product_id=product_id)
    return DigitalProduct.objects.filter(product=product).first()


def ensure_terms(*, seller_id: int, product_id: int) -> DigitalProduct:
    product = catalogue_product(seller_id=seller_id, product_id=product_id)
    terms, _ = DigitalProduct.objects.get_or_create(product=product)
    return terms


def _check_terms(data: TermsData) -> None:
    if data.licence_kind not in LicenceKind.values:
        raise invalid(TERMS_ERROR, "licence_kind", "Choose personal or commercial use.")
    if len(data.licence_text) > MAX_LICENCE_TEXT:
        raise invalid(
            TERMS_ERROR,
            "licence_text",
            f"The licence text may be at most {MAX_LICENCE_TEXT} characters.",
        )
    if data.download_limit is not None and not 1 <= data.download_limit <= MAX_DOWNLOAD_LIMIT:
        raise invalid(
            TERMS_ERROR,
            "download_limit",
            f"Allow between 1 and {MAX_DOWNLOAD_LIMIT} downloads per version, "
            "or leave it empty for unlimited.",
        )
    if data.update_months is not None and not 0 <= data.update_months <= MAX_UPDATE_MONTHS:
        raise invalid(
            TERMS_ERROR,
            "update_months",
            f"Give between 0 and {MAX_UPDATE_MONTHS} months of updates, "
            "or leave it empty for every future version.",
        )
    if data.stamp_corner not in StampCorner.values:
        raise invalid(TERMS_ERROR, "stamp_corner", "Choose a corner for the stamp.")
    if data.allow_limit_reset and data.download_limit is None:
        raise invalid(
            TERMS_ERROR,
            "allow_limit_reset",
            "A reset only makes sense with a download limit.",
        )


@transaction.atomic
def set_terms(*, seller_id: int, product_id: int, data: TermsData) -> DigitalProduct:
    """The product's terms from now on; buyers keep the terms they bought under."""
    _check_terms(data)
    product = catalogue_product(seller_id=seller_id, product_id=product_id)
    terms, _ = DigitalProduct.objects.select_for_update().get_or_create(product=product)
    terms.licence_kind = data.licence_kind
    terms.licence_text = data.licence_text.strip()
    terms.download_limit = data.download_limit
    terms.update_months = data.update_months
    terms.notify_updates = data.notify_updates
    terms.allow_limit_reset = data.allow_limit_reset
    terms.stamp_pdfs = data.stamp_pdfs
    terms.stamp_corner = data.stamp_corner
    terms.watermark_images = data.watermark_images
    terms.protect_pdfs = data.protect_pdfs
    terms.save()
    return terms


def _check_link(external_url: str) -> str:
    url = external_url.strip()
    if not url:
        return ""
    if not url.startswith("https://"):
        raise invalid(DigitalErrorCode.INVALID_FILE, "external_url", "Links start https://.")
    try:
        URLValidator(schemes=["https"])(url)
    except ValidationError:
        raise invalid(
            DigitalErrorCode.INVALID_FILE, "external_url", "That is not a web address."
        ) from None
    if len(url) > 1000:
        raise invalid(
            DigitalErrorCode.INVALID_FILE, "external_url", "A link may be at most 1000 characters."
        )
    return url


@transaction.atomic
def add_file(*, seller_id: int, product_id: int, title: str, external_url: str = "") -> DigitalFile:
    """A new file of the product, last in order: uploaded in versions, or an external link."""
    url = _check_link(external_url)
    terms = ensure_terms(seller_id=seller_id, product_id=product_id)
    DigitalProduct.objects.select_for_update().filter(pk=terms.pk).first()  # serialise positions
    return versions.add_file(product=terms, title=title, external_url=url)


def sellers_file(*, seller_id: int, file_id: int, lock: bool = False) -> DigitalFile:
    files = DigitalFile.objects.select_for_update() if lock else DigitalFile.objects
    found = files.filter(
        pk=file_id, product__product__seller_id=seller_id, removed_at__isnull=True
    ).first()
    if found is None:
        raise not_found()
    return found


@transaction.atomic
def update_file(
    *, seller_id: int, file_id: int, title: str | None = None, external_url: str | None = None
) -> DigitalFile:
    """Rename a file or change its link (an uploaded file cannot become a link)."""
    found = sellers_file(seller_id=seller_id, file_id=file_id, lock=True)
    if title is not None:
        title = title.strip()
        if not title or len(title) > 200:
            raise invalid(DigitalErrorCode.INVALID_FILE, "title", "Give the file a title.")
        found.title = title
    if external_url is not None:
        if not found.external_url:
            raise invalid(
                DigitalErrorCode.INVALID_FILE,
                "external_url",
                "This file is uploaded in versions; add a new file for a link.",
            )
        url = _check_link(external_url)
        if not url:
            raise invalid(DigitalErrorCode.INVALID_FILE, "external_url", "Give the link.")
        found.external_url = url
    found.save(update_fields=["title", "external_url"])
    return found


@transaction.atomic
def reorder_files(*, seller_id: int, product_id: int, file_ids: list[int]) -> list[DigitalFile]:
    """The product's offered files in the order given (every one of them, once)."""
    terms = terms_of(seller_id=seller_id, product_id=product_id)
    if terms is None:
        raise not_found("No such digital product.")
    files = {
        row.pk: row
        for row in DigitalFile.objects.select_for_update().filter(
            product=terms, removed_at__isnull=True
        )
    }
    if sorted(file_ids) != sorted(files):
        raise invalid(
            DigitalErrorCode.INVALID_FILE,
            "file_ids",
            "List each of the product's files exactly once.",
        )
    ordered = [files[file_id] for file_id in file_ids]
    for position, row in enumerate(ordered, start=1):
        row.position = position
    DigitalFile.objects.bulk_update(ordered, ["position"])
    return ordered


@transaction.atomic
def remove_file(*, seller_id: int, file_id: int) -> DigitalFile:
    """The file is no longer offered (new buyers do not see it, nobody can download it);
    its versions stay, so the download log keeps its history."""
    found = sellers_file(seller_id=seller_id, file_id=file_id, lock=True)
    found.removed_at = timezone.now()
    found.save(update_fields=["removed_at"])
    return found


def upload_version(
    *,
    seller_id: int,
    file_id: int,
    name: str,
    stream: IO[bytes],
    size: int,
    changelog: str = "",
) -> FileVersion:
    """Version n + 1 of one of the seller's uploaded files (``versions.upload_version``); an
    external link has no versions, so an upload to one is refused beside the field."""
    found = sellers_file(seller_id=seller_id, file_id=file_id)
    if found.external_url:
        raise invalid(
            DigitalErrorCode.INVALID_FILE,
            "file",
            "This file is an external link; add a new file to upload one.",
        )
    return versions.upload_version(
        file_id=file_id,
        seller_id=seller_id,
        name=name,
        stream=stream,
        size=size,
        changelog=changelog,
    )
