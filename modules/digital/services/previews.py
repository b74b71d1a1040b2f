"""A product's public previews: made in a background job from every new version of a file
(``processing/previews.py``: a PDF's first pages as images, an image's thumbnail, watermarked
with the marketplace's name when the product asks for it, a 30-second audio or video clip),
replacing the previews made from the file's earlier versions; the seller's own previews
(``is_custom``) are never replaced automatically. The job's outcome is recorded on the
version for the seller (ready, none for a kind of file without previews, failed with a short
reason); a failure never touches the upload, which was committed before the job ran.

The seller manages the product's previews: adds their own (an image, audio or video clip,
judged by its content), replaces or removes any, and orders them. Everything takes the acting
``seller_id``: another seller's product or preview is not found, like one that does not
exist."""

from __future__ import annotations

import io
import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from PIL import Image

from core.catalog.models import Product
from core.uploads import checked_content_type
from core.watermarks import watermark_image
from modules.digital.errors import DigitalErrorCode, invalid, not_found
from modules.digital.manifest import DIGITAL
from modules.digital.models import (
    DigitalFile,
    DigitalProduct,
    FileVersion,
    Preview,
    PreviewKind,
    PreviewStatus,
    new_key,
)
from modules.digital.processing.previews import (
    PreviewFailed,
    image_thumbnail,
    media_clip,
    pdf_pages,
)
from tenants.selectors import current_marketplace_settings

logger = logging.getLogger(__name__)

PDF = "application/pdf"
PREVIEW_MAX_BYTES = 20 * 1024 * 1024
# A file's previews sit in its position's block, so previews follow the files' order; a
# reorder spaces the previews a block apart, so a file's new pages fit where its old ones were.
POSITIONS_PER_FILE = 10
MAX_CUSTOM_PREVIEWS = 12
REASON_MAX = 300
UNEXPECTED_REASON = "Something went wrong while making the preview."
SUPERSEDED_REASON = "A newer version was uploaded before this one's preview was made."
# What a tool's message says about our machine (ffmpeg names its input file, Pillow the
# stream's repr): meaningless to the seller, so left out of the reason.
_NOISE = re.compile(r"<[^<>]*>|(?:/[^\s:/'\"()<>]+){2,}/?(?::\s*)?")
CUSTOM_UPLOAD_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/webp", "image/gif", "audio/mpeg", "audio/ogg", "video/mp4"}
    | {"video/webm", "audio/x-wav", "audio/wav", "audio/mp4"}
)


class _Made:
    def __init__(
        self, kind: str, content: bytes, content_type: str, width: int | None, height: int | None
    ) -> None:
        self.kind, self.content, self.content_type = kind, content, content_type
        self.width, self.height = width, height


def queue_previews(*, version_id: int) -> None:
    """The preview job for ``version_id``, queued once the caller's transaction commits."""
    transaction.on_commit(lambda: _run(version_id))


def _run(version_id: int) -> None:
    from modules.digital.tasks import make_previews_task

    try:
        make_previews_task.delay(version_id)
    except Exception:  # the upload is committed: a preview failing never undoes it
        logger.exception("digital: the preview job of version %s failed", version_id)


def _image_size(content: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(content)) as image:
        return image.width, image.height


def _render(version: FileVersion, watermark: bool) -> list[_Made]:
    kind = version.content_type
    with version.content.open("rb") as source:
        if kind == PDF:
            return [
                _Made(PreviewKind.IMAGE, page.content, page.content_type, page.width, page.height)
                for page in pdf_pages(source.read())
            ]
        if kind.startswith("image/"):
            if watermark:
                try:
                    content = watermark_image(source, current_marketplace_settings().name)
                except (OSError, ValueError, Image.DecompressionBombError) as error:
                    raise PreviewFailed(f"The image could not be read ({error}).") from None
                width, height = _image_size(content)
                return [_Made(PreviewKind.IMAGE, content, "image/png", width, height)]
            thumb = image_thumbnail(source)
            return [
                _Made(
                    PreviewKind.IMAGE, thumb.content, thumb.content_type, thumb.width, thumb.height
                )
            ]
        if kind.startswith(("audio/", "video/")):
            is_video = kind.startswith("video/")
            with tempfile.NamedTemporaryFile(prefix="souk-media-") as local:
                for chunk in source.chunks():
                    local.write(chunk)
                local.flush()
                clip = media_clip(Path(local.name), is_video=is_video)
            preview_kind = PreviewKind.VIDEO if is_video else PreviewKind.AUDIO
            return [_Made(preview_kind, clip.content, clip.content_type, None, None)]
    return []


def _reason(error: PreviewFailed) -> str:
    """The failure in one short line for the seller: no paths, no traceback, no library's
    jargon where we know what it means."""
    message = str(error)
    if message.startswith("The PDF could not be read"):
        if "password" in message.lower():
            return "The PDF asks for a password to open, so its pages cannot be shown."
        return "The PDF could not be read: it looks damaged or is not really a PDF."
    if message.startswith("The image could not be read"):
        return "The image could not be read: it looks damaged or its format cannot be shown."
    lines = message.strip().splitlines() or [UNEXPECTED_REASON]
    text = " ".join(_NOISE.sub("", lines[0]).replace(" )", ")").split())
    return (text or UNEXPECTED_REASON)[:REASON_MAX]


def _record(version_id: int, status: str, reason: str = "") -> None:
    FileVersion.objects.filter(pk=version_id).update(preview_status=status, preview_error=reason)


def _is_previewable(content_type: str) -> bool:
    return content_type == PDF or content_type.startswith(("image/", "audio/", "video/"))


def make_previews(*, version_id: int) -> list[int]:
    """The job's work: the previews of ``version_id`` replacing those of the file's earlier
    versions; the new previews' ids ([] when the file has no preview or could not be read).
    The outcome is recorded on the version. An older version's job arriving after a newer
    one's changes no preview."""
    version = FileVersion.objects.select_related("file__product").filter(pk=version_id).first()
    if version is None:
        return []
    terms = version.file.product
    if not _is_previewable(version.content_type):
        _record(version.pk, PreviewStatus.NONE)
        return []
    try:
        made = _render(version, terms.watermark_images)
        if not made:
            raise PreviewFailed("The file has nothing to show: no page, picture or sound.")
    except PreviewFailed as error:
        reason = _reason(error)
        logger.warning(
            "digital: no preview of version %s of file %s (%s): %s",
            version.number,
            version.file_id,
            version.original_name,
            reason,
        )
        _record(version.pk, PreviewStatus.FAILED, reason)
        return []
    except Exception:  # a preview never breaks anything else; the seller sees a short reason
        logger.exception("digital: previewing version %s failed", version.pk)
        _record(version.pk, PreviewStatus.FAILED, UNEXPECTED_REASON)
        return []
    with transaction.atomic():
        # The file's row lock (the one uploads take): one job at a time per file.
        DigitalFile.objects.select_for_update().filter(pk=version.file_id).first()
        newer = FileVersion.objects.filter(file_id=version.file_id, number__gt=version.number)
        if newer.exists():  # a late job of an older version: the newer one's job decides
            _record(version.pk, PreviewStatus.NONE, SUPERSEDED_REASON)
            return []
        old = list(
            Preview.objects.filter(product=terms, source__file_id=version.file_id, is_custom=False)
        )
        for preview in old:
            _delete_after_commit(preview)
        Preview.objects.filter(pk__in=[preview.pk for preview in old]).delete()
        # Where the seller placed the file's old previews, else the file's own block.
        base = min(
            (preview.position for preview in old),
            default=version.file.position * POSITIONS_PER_FILE,
        )
        ids = []
        for index, item in enumerate(made[:POSITIONS_PER_FILE]):
            preview = Preview(
                product=terms,
                source=version,
                kind=item.kind,
                content_type=item.content_type,
                width=item.width,
                height=item.height,
                position=base + index,
            )
            preview.content.save(preview.key, ContentFile(item.content), save=False)
            preview.save()
            ids.append(preview.pk)
        _record(version.pk, PreviewStatus.READY)
        return ids


def _delete_after_commit(preview: Preview) -> None:
    """The preview's stored file gone once its row's change commits."""
    storage, path = preview.content.storage, preview.content.name or ""
    if path:
        transaction.on_commit(lambda: storage.delete(path))


def _own_preview(*, seller_id: int, preview_id: int) -> Preview:
    preview = (
        Preview.objects.select_for_update()
        .filter(pk=preview_id, product__product__seller_id=seller_id)
        .first()
    )
    if preview is None:
        raise not_found()
    return preview


def _custom_content(name: str, stream: IO[bytes], size: int) -> tuple[str, str]:
    if size <= 0:
        raise invalid(DigitalErrorCode.INVALID_FILE, "file", f"{name}: this file is empty.")
    if size > PREVIEW_MAX_BYTES:
        limit = PREVIEW_MAX_BYTES // (1024 * 1024)
        raise invalid(DigitalErrorCode.INVALID_FILE, "file", f"{name}: at most {limit} MB.")
    content_type = checked_content_type(name, stream, verb="shown as a preview")
    if content_type not in CUSTOM_UPLOAD_TYPES:
        message = f"{name}: a preview is an image, an audio clip or a video clip."
        raise invalid(DigitalErrorCode.INVALID_FILE, "file", message)
    kind = content_type.split("/")[0]
    return kind, content_type


def _fill(preview: Preview, kind: str, content_type: str, stream: IO[bytes]) -> None:
    stream.seek(0)
    content = stream.read()
    width = height = None
    if kind == PreviewKind.IMAGE:
        try:
            width, height = _image_size(content)
        except (OSError, ValueError, Image.DecompressionBombError):
            message = "This image could not be read."
            raise invalid(DigitalErrorCode.INVALID_FILE, "file", message) from None
    preview.kind, preview.content_type = kind, content_type
    preview.width, preview.height = width, height
    preview.is_custom, preview.source = True, None
    preview.key = new_key()  # a new address: the old one may sit in caches for a year
    preview.content.save(preview.key, ContentFile(content), save=False)
    preview.save()


@transaction.atomic
def replace_preview(
    *, seller_id: int, preview_id: int, name: str, stream: IO[bytes], size: int
) -> Preview:
    """The seller's own file in place of one of their product's previews (same position); it
    is custom from then on and no new version replaces it."""
    preview = _own_preview(seller_id=seller_id, preview_id=preview_id)
    kind, content_type = _custom_content(name, stream, size)
    _delete_after_commit(preview)  # the old file; the row keeps its id and position
    _fill(preview, kind, content_type, stream)
    return preview


@transaction.atomic
def remove_preview(*, seller_id: int, preview_id: int) -> None:
    """One of the seller's product's previews gone from the product page."""
    preview = _own_preview(seller_id=seller_id, preview_id=preview_id)
    _delete_after_commit(preview)
    preview.delete()


def _own_terms(*, seller_id: int, product_id: int) -> DigitalProduct:
    """The seller's digital product's terms, locked (made with the defaults if none yet)."""
    product = _sellers_product(seller_id=seller_id, product_id=product_id)
    DigitalProduct.objects.get_or_create(product=product)
    return DigitalProduct.objects.select_for_update().get(product=product)


def _sellers_product(*, seller_id: int, product_id: int) -> Product:
    product = Product.objects.filter(
        pk=product_id, seller_id=seller_id, product_type=DIGITAL
    ).first()
    if product is None:
        raise not_found("No such digital product.")
    return product


def previews_of(product: Product) -> list[Preview]:
    """The product's previews in the order buyers see them, with the version each was made
    from (one query); the caller has checked the product is the seller's."""
    return list(
        Preview.objects.filter(product__product=product)
        .select_related("source__file")
        .order_by("position", "id")
    )


def sellers_previews(*, seller_id: int, product_id: int) -> list[Preview]:
    """``previews_of`` one of the seller's products (another's: not found)."""
    return previews_of(_sellers_product(seller_id=seller_id, product_id=product_id))


@transaction.atomic
def add_preview(
    *, seller_id: int, product_id: int, name: str, stream: IO[bytes], size: int
) -> Preview:
    """The seller's own preview (an image, an audio or a video clip, judged by its content),
    shown after the product's other previews; no new version replaces it."""
    terms = _own_terms(seller_id=seller_id, product_id=product_id)
    if terms.previews.filter(is_custom=True).count() >= MAX_CUSTOM_PREVIEWS:
        message = f"A product has at most {MAX_CUSTOM_PREVIEWS} previews of your own; remove one."
        raise invalid(DigitalErrorCode.INVALID_FILE, "file", message)
    kind, content_type = _custom_content(name, stream, size)
    last = terms.previews.aggregate(last=Max("position"))["last"]
    position = 0 if last is None else (last // POSITIONS_PER_FILE + 1) * POSITIONS_PER_FILE
    preview = Preview(product=terms, position=position)
    _fill(preview, kind, content_type, stream)
    return preview


def _apply_order(ordered: list[Preview]) -> None:
    for index, preview in enumerate(ordered):
        preview.position = index * POSITIONS_PER_FILE
    Preview.objects.bulk_update(ordered, ["position"])


@transaction.atomic
def reorder_previews(*, seller_id: int, product_id: int, preview_ids: list[int]) -> list[Preview]:
    """The product's previews in the order given (every one of them, once)."""
    terms = _own_terms(seller_id=seller_id, product_id=product_id)
    current = {preview.pk: preview for preview in terms.previews.select_for_update()}
    if sorted(preview_ids) != sorted(current):
        message = "List each of the product's previews exactly once."
        raise invalid(DigitalErrorCode.INVALID_FILE, "preview_ids", message)
    ordered = [current[preview_id] for preview_id in preview_ids]
    _apply_order(ordered)
    return ordered


@transaction.atomic
def move_preview(*, seller_id: int, preview_id: int, by: int) -> Preview:
    """One preview ``by`` places earlier (negative) or later, within the product's list."""
    preview = _own_preview(seller_id=seller_id, preview_id=preview_id)
    ordered = list(
        Preview.objects.select_for_update()
        .filter(product_id=preview.product_id)
        .order_by("position", "id")
    )
    index = next(i for i, row in enumerate(ordered) if row.pk == preview.pk)
    target = max(0, min(len(ordered) - 1, index + by))
    ordered.insert(target, ordered.pop(index))
    _apply_order(ordered)
    return ordered[target]


@dataclass(frozen=True)
class FilePreviewStatus:
    """How the previews of a file's latest version went, for the seller."""

    file_id: int
    file_title: str
    version_id: int
    version_number: int
    status: str
    status_label: str
    error: str

    @property
    def is_failed(self) -> bool:
        return self.status == PreviewStatus.FAILED

    @property
    def is_pending(self) -> bool:
        return self.status == PreviewStatus.PENDING


def preview_statuses(*, seller_id: int, product_id: int) -> list[FilePreviewStatus]:
    """``statuses_of`` one of the seller's products (another's: not found)."""
    return statuses_of(_sellers_product(seller_id=seller_id, product_id=product_id))


def statuses_of(product: Product) -> list[FilePreviewStatus]:
    """Per uploaded file of the product (in the files' order), its latest version's preview
    outcome; a file with no version yet is left out. One query; the caller has checked the
    product is the seller's."""
    latest = FileVersion.objects.filter(file=OuterRef("pk")).order_by("-number")
    files = (
        DigitalFile.objects.filter(
            product__product=product, removed_at__isnull=True, external_url=""
        )
        .annotate(
            version_id=Subquery(latest.values("pk")[:1]),
            version_number=Subquery(latest.values("number")[:1]),
            status=Subquery(latest.values("preview_status")[:1]),
            error=Subquery(latest.values("preview_error")[:1]),
        )
        .filter(version_id__isnull=False)
        .order_by("position", "id")
    )
    labels = dict(PreviewStatus.choices)
    return [
        FilePreviewStatus(
            file_id=row.pk,
            file_title=row.title,
            version_id=row.version_id,
            version_number=row.version_number,
            status=row.status,
            status_label=str(labels.get(row.status, row.status)),
            error=row.error or "",
        )
        for row in files
    ]
