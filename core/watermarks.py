"""Visible watermarks: an image stamped along diagonal bands (Pillow) and a PDF's first
page stamped diagonally (pikepdf, over qpdf). Used for previews of what is not bought yet."""

from __future__ import annotations

import io
import math
from typing import IO, Any

import pikepdf
from PIL import Image, ImageDraw, ImageFont, ImageOps

PREVIEW_MAX_SIDE = 1600
FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


def load_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
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
    font = load_font(max(14, diagonal // 18))
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


def pdf_escape(text: str) -> str:
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
        text = pdf_escape(f"{label}  -  Preview")
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
