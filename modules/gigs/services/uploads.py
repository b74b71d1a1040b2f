"""What a seller may attach to a delivery, judged by the file's content (``filetype``'s
magic numbers, never the name or the browser's claimed type): images, documents, archives,
audio, video and fonts; plain text only under a text name. Executables are refused whatever
they are called. Locked files get a watermarked preview for the buyer: an image stamped
diagonally with the marketplace's name and "Preview" (Pillow), a PDF's first page stamped
(pikepdf)."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, Any

import filetype
import pikepdf
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from core.errors import ErrorKind
from modules.gigs.errors import GigsError, GigsErrorCode

# Detected MIME types a delivery may carry.
ALLOWED_TYPES = frozenset(
    {
        # images
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/tiff", "image/bmp",
        "image/vnd.adobe.photoshop", "image/heic", "image/avif", "image/x-icon",
        # documents
        "application/pdf", "application/rtf", "application/epub+zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        # archives
        "application/zip", "application/gzip", "application/x-tar", "application/x-7z-compressed",
        "application/x-rar-compressed", "application/x-bzip2", "application/x-xz",
        # audio and video
        "audio/mpeg", "audio/x-wav", "audio/ogg", "audio/x-flac", "audio/mp4", "audio/aac",
        "audio/x-aiff", "video/mp4", "video/quicktime", "video/webm", "video/x-matroska",
        "video/x-msvideo", "video/mpeg", "video/x-m4v",
        # fonts
        "font/ttf", "font/otf", "font/woff", "font/woff2", "application/font-woff",
    }
)  # fmt: skip
# Content no magic number names: accepted as text only under one of these names.
TEXT_SUFFIXES = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".srt": "application/x-subrip",
    ".vtt": "text/vtt",
    ".xml": "application/xml",
}
EXECUTABLE_TYPES = frozenset(
    {
        "application/x-msdownload", "application/x-executable", "application/x-mach-binary",
        "application/x-elf", "application/vnd.microsoft.portable-executable",
        "application/x-dosexec", "application/x-sharedlib", "application/x-shockwave-flash",
        "application/vnd.android.dex", "application/x-deb", "application/x-rpm",
        "application/x-msi", "application/x-apple-diskimage",
    }
)  # fmt: skip
EXECUTABLE_SUFFIXES = frozenset(
    {
        ".exe", ".com", ".bat", ".cmd", ".msi", ".scr", ".pif", ".dll", ".so", ".dylib",
        ".sh", ".bash", ".ps1", ".vbs", ".vbe", ".js", ".jse", ".wsf", ".jar", ".apk",
        ".app", ".elf", ".bin", ".run", ".deb", ".rpm", ".dmg", ".lnk", ".hta", ".cpl",
    }
)  # fmt: skip
# Magic numbers ``filetype`` does not know (ELF, Mach-O, PE, shebang scripts).
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
SNIFF_BYTES = 8192
PREVIEW_MAX_SIDE = 1600
IMAGE_PREVIEW_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "image/tiff", "image/bmp"}
)
FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


def _refused(name: str, message: str) -> GigsError:
    return GigsError(
        GigsErrorCode.FILE_REFUSED,
        f"{name}: {message}",
        details={"field": "file", "file": name},
        kind=ErrorKind.INVALID,
    )


def _head(stream: IO[bytes]) -> bytes:
    position = stream.tell() if stream.seekable() else 0
    head = stream.read(SNIFF_BYTES)
    if stream.seekable():
        stream.seek(position)
    return bytes(head)


def checked_content_type(name: str, stream: IO[bytes]) -> str:
    """The file's type as its content shows it, or a refusal naming the file."""
    suffix = PurePosixPath(name.lower()).suffix
    head = _head(stream)
    if suffix in EXECUTABLE_SUFFIXES or head.startswith((b"#!", *EXECUTABLE_MAGIC)):
        raise _refused(name, "programs and scripts cannot be delivered.")
    kind = filetype.guess(head)
    if kind is not None:
        mime = str(kind.mime)
        if mime in EXECUTABLE_TYPES:
            raise _refused(name, "programs and scripts cannot be delivered.")
        if mime not in ALLOWED_TYPES:
            raise _refused(name, f"files of this type ({mime}) cannot be delivered.")
        return mime
    if suffix in TEXT_SUFFIXES and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            if error.start < len(head) - 4:  # not just a character cut at the sniff's end
                raise _refused(name, "this text file is not UTF-8 text.") from None
        return TEXT_SUFFIXES[suffix]
    allowed = "images, PDF and office documents, archives, audio, video, fonts or plain text"
    raise _refused(name, f"its content is not a type that can be delivered ({allowed}).")


@dataclass(frozen=True)
class Preview:
    content: bytes | None  # None: no preview (``note`` says why)
    content_type: str
    note: str


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_PATHS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def watermark_image(stream: IO[bytes], label: str) -> bytes:
    """A copy of the image at most ``PREVIEW_MAX_SIDE`` px, stamped with ``label``
    repeated along diagonal bands over the whole picture; PNG."""
    with Image.open(stream) as opened:
        opened.seek(0)
        image = ImageOps.exif_transpose(opened).convert("RGBA")
    image.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE))
    width, height = image.size
    diagonal = int(math.hypot(width, height)) + 2
    font = _font(max(14, diagonal // 18))
    overlay = Image.new("RGBA", (diagonal, diagonal), (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    text = f"{label}  \u00b7  "
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    step_x, step_y = max(1, int(right - left)), max(1, int((bottom - top) * 2.6))
    for row, y in enumerate(range(0, diagonal, step_y)):
        offset = (row % 2) * step_x // 2
        for x in range(-offset, diagonal, step_x):
            # A dark outline under a light fill: visible on light and dark pictures.
            draw.text(
                (x, y),
                text,
                font=font,
                fill=(255, 255, 255, 150),
                stroke_width=2,
                stroke_fill=(0, 0, 0, 120),
            )
    rotated = overlay.rotate(35, resample=Image.Resampling.BICUBIC)
    crop_left, crop_top = (diagonal - width) // 2, (diagonal - height) // 2
    band = rotated.crop((crop_left, crop_top, crop_left + width, crop_top + height))
    stamped = Image.alpha_composite(image, band).convert("RGB")
    out = io.BytesIO()
    stamped.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _pdf_escape(text: str) -> str:
    ascii_text = text.encode("latin-1", "replace").decode("latin-1")
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def watermark_pdf_first_page(stream: IO[bytes], label: str) -> bytes:
    """The PDF's first page alone, stamped diagonally with ``label`` (pikepdf, over qpdf)."""
    pikepdf_module: Any = pikepdf
    with pikepdf_module.open(stream) as source:
        preview = pikepdf_module.new()
        preview.pages.append(source.pages[0])
        page = preview.pages[0]
        x0, y0, x1, y1 = (float(value) for value in page.mediabox)
        width, height = x1 - x0, y1 - y0
        size = max(12.0, min(width, height) / 12)
        angle = math.atan2(height, width)
        cos, sin = math.cos(angle), math.sin(angle)
        font = preview.make_indirect(
            pikepdf_module.Dictionary(
                Type=pikepdf_module.Name.Font,
                Subtype=pikepdf_module.Name.Type1,
                BaseFont=pikepdf_module.Name.Helvetica,
            )
        )
        state = preview.make_indirect(
            pikepdf_module.Dictionary(Type=pikepdf_module.Name.ExtGState, ca=0.35, CA=0.35)
        )
        page.add_resource(font, pikepdf_module.Name.Font, prefix="SoukWm")
        font_name = str(list(page.resources.Font.keys())[-1])
        page.add_resource(state, pikepdf_module.Name.ExtGState, prefix="SoukGs")
        state_name = str(list(page.resources.ExtGState.keys())[-1])
        text = _pdf_escape(f"{label}  -  Preview")
        lines = []
        for band in range(-2, 3):
            tx = x0 + width / 2 - size * 6 * cos - band * size * 4 * sin
            ty = y0 + height / 2 - size * 6 * sin + band * size * 4 * cos
            lines.append(
                f"BT {font_name} {size:.1f} Tf {cos:.4f} {sin:.4f} {-sin:.4f} {cos:.4f} "
                f"{tx:.1f} {ty:.1f} Tm ({text}) Tj ET"
            )
        content = f"q {state_name} gs 0.8 0 0 rg {' '.join(lines)} Q".encode("latin-1")
        page.contents_add(preview.make_stream(content), prepend=False)
        out = io.BytesIO()
        preview.save(out)
        return out.getvalue()


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
