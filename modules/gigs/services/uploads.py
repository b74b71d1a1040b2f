"""What a seller may attach to a delivery (judged by its content in ``core.uploads``), and
the buyer's watermarked preview of a locked file (``core.watermarks``): an image stamped
diagonally with the marketplace's name and "Preview", a PDF's first page stamped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from PIL import Image, UnidentifiedImageError

from core.uploads import checked_content_type as checked_upload_type
from core.watermarks import watermark_image, watermark_pdf_first_page

IMAGE_PREVIEW_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "image/tiff", "image/bmp"}
)


def checked_content_type(name: str, stream: IO[bytes]) -> str:
    """The file's type as its content shows it, or a refusal naming the file."""
    return checked_upload_type(name, stream, verb="delivered")


@dataclass(frozen=True)
class Preview:
    content: bytes | None  # None: no preview (``note`` says why)
    content_type: str
    note: str


def make_preview(stream: IO[bytes], content_type: str, marketplace: str) -> Preview:
    """The buyer's preview of a locked file of ``content_type``."""
    label = f"{marketplace} \u00b7 Preview"
    if content_type in IMAGE_PREVIEW_TYPES:
        try:
            return Preview(watermark_image(stream, label), "image/png", "")
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            return Preview(None, "", "No preview: the image could not be read.")
    if content_type == "application/pdf":
        try:
            stamped = watermark_pdf_first_page(stream, marketplace)
        except Exception:
            return Preview(None, "", "No preview: the PDF could not be read.")
        return Preview(stamped, "application/pdf", "")
    return Preview(None, "", "No preview for this kind of file; it unlocks when you accept.")
