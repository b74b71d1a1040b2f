"""A product's public previews: made in a background job from every new version of a file
(``processing/previews.py``: a PDF's first pages as images, an image's thumbnail, watermarked
with the marketplace's name when the product asks for it, a 30-second audio or video clip),
replacing the previews made from the file's earlier versions; the seller's own previews
(``is_custom``) are never replaced automatically. A file that cannot be previewed is logged
for the seller and never touches the upload, which was committed before the job ran."""

from __future__ import annotations

import io
import logging
import tempfile
from pathlib import Path
from typing import IO

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image

from core.uploads import checked_content_type
from core.watermarks import watermark_image
from modules.digital.errors import DigitalErrorCode, invalid, not_found
from modules.digital.models import DigitalFile, FileVersion, Preview, PreviewKind, new_key
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
# A file's previews sit in its position's block, so previews follow the files' order.
POSITIONS_PER_FILE = 10
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


def make_previews(*, version_id: int) -> list[int]:
    """The job's work: the previews of ``version_id`` replacing those of the file's earlier
    versions; the new previews' ids ([] when the file has no preview or could not be read).
    An older version's job arriving after a newer one's changes nothing."""
    version = FileVersion.objects.select_related("file__product").filter(pk=version_id).first()
    if version is None:
        return []
    terms = version.file.product
    try:
        made = _render(version, terms.watermark_images)
    except PreviewFailed as error:
        logger.warning(
            "digital: no preview of version %s of file %s (%s): %s",
            version.number,
            version.file_id,
            version.original_name,
            error,
        )
        return []
    except Exception:  # a preview never breaks anything else: the seller is told by the log
        logger.exception("digital: previewing version %s failed", version.pk)
        return []
    with transaction.atomic():
        # The file's row lock (the one uploads take): one job at a time per file.
        DigitalFile.objects.select_for_update().filter(pk=version.file_id).first()
        newer = FileVersion.objects.filter(file_id=version.file_id, number__gt=version.number)
        if newer.exists():  # a late job of an older version: the newer one's job decides
            return []
        generated = Preview.objects.filter(
            product=terms, source__file_id=version.file_id, is_custom=False
        )
        old = list(generated)
        for preview in old:
            _delete_after_commit(preview)
        Preview.objects.filter(pk__in=[preview.pk for preview in old]).delete()
        ids = []
        base = version.file.position * POSITIONS_PER_FILE
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
