"""Cover art for demo products, drawn with Pillow: a two-colour gradient picked from the
product's name, a few soft shapes and its initials, so every product has a distinct image
without shipping binary files or reaching the network."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = Path(__file__).resolve().parents[2] / "core" / "commerce" / "fonts" / "DejaVuSans.ttf"
PALETTES = (
    ((122, 31, 92), (242, 165, 65)),
    ((11, 122, 117), (255, 209, 102)),
    ((47, 111, 222), (126, 214, 223)),
    ((52, 58, 64), (233, 196, 106)),
    ((106, 76, 147), (255, 140, 148)),
    ((29, 53, 87), (168, 218, 220)),
    ((188, 71, 73), (246, 189, 96)),
    ((38, 70, 83), (42, 157, 143)),
)


def cover_png(name: str, *, width: int = 1200, height: int = 900) -> bytes:
    digest = hashlib.sha256(name.encode()).digest()
    start, end = PALETTES[digest[0] % len(PALETTES)]
    middle = tuple((a + b) // 2 for a, b in zip(start, end, strict=True))
    corners = Image.new("RGB", (2, 2))
    corners.putdata([start, middle, middle, end])
    image = corners.resize((width, height), Image.Resampling.BILINEAR)
    shapes = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(shapes)
    for index in range(4):
        size = 180 + digest[index + 1] % 260
        x = digest[index + 5] * width // 255 - size // 2
        y = digest[index + 9] * height // 255 - size // 2
        draw.ellipse((x, y, x + size, y + size), fill=(255, 255, 255, 40 + index * 10))
    shapes = shapes.filter(ImageFilter.GaussianBlur(6))
    image.paste(shapes, (0, 0), shapes)
    initials = "".join(word[0] for word in name.split()[:2]).upper()
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 260)
    box = draw.textbbox((0, 0), initials, font=font)
    position = ((width - (box[2] - box[0])) // 2, (height - (box[3] - box[1])) // 2 - box[1])
    draw.text(position, initials, font=font, fill=(255, 255, 255))
    label_font = ImageFont.truetype(str(FONT), 54)
    label_box = draw.textbbox((0, 0), name, font=label_font)
    draw.text(
        ((width - (label_box[2] - label_box[0])) // 2, height - 140),
        name,
        font=label_font,
        fill=(255, 255, 255),
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
