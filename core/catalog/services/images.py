"""Product images: uploads checked by their content (Pillow, not the name or the browser's
content type), re-encoded without metadata into responsive sizes (AVIF, when this Pillow can
write it, and WebP at 320/640/960/1280 px wide, plus one JPEG or PNG fallback), kept in the
tenant's storage (``core.storage``: local files or private S3 objects under ``<schema>/``);
reordering and removal; and ``image_view``, what ``catalog/_picture.html`` needs for a
``<picture>`` (an AVIF and a WebP ``<source>``, then ``<img src width height alt>``).

``ProductImage.variants`` is ``{"avif": [...], "webp": [...], "fallback": {...}}``; images
uploaded before AVIF (or on a Pillow without it) have no ``"avif"`` and are served as WebP.

External images (``ProductImage.url``, set through the API) keep working: they have a ``src``
and no ``srcset``."""

from __future__ import annotations

import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from PIL import Image, ImageOps, UnidentifiedImageError, features

from core.catalog.errors import CatalogError, CatalogErrorCode
from core.catalog.models import Product, ProductImage, ProductStatus, variant_url
from core.catalog.services.products import products_changed
from core.errors import ErrorKind

MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # refuse decompression bombs before decoding
MIN_IMAGE_SIDE = 64
MAX_IMAGES_PER_PRODUCT = 10
ALT_MAX_LENGTH = 200
# 960 is a phone's full width at 2x (390 css px); without it a phone takes 1280, 2.7x the pixels.
IMAGE_WIDTHS = (320, 640, 960, 1280)
FALLBACK_MAX_WIDTH = 1280
WEBP_QUALITY = 80
JPEG_QUALITY = 85
# AVIF at the same widths, encoded in the upload's request. On the loaded 2-core machine
# Pillow's default speed (6) took 0.9-1.0 s for one 1280 px photo and 2.2 s for a whole upload;
# speed 8 takes 0.3-0.4 s and 1.2-1.5 s (0.47 s without AVIF), for files about 7% larger, still
# about 20% smaller than WebP at quality 80 (102 KB against 130 KB at 1280 px).
AVIF_QUALITY = 60
AVIF_SPEED = 8
# Pillow >= 11.3 wheels include libavif; a build without it keeps WebP only.
CAN_ENCODE_AVIF = features.check("avif")
# What Pillow must find in the bytes; anything else (a PDF, an SVG, a renamed script) is refused.
ACCEPTED_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
# The default ``sizes``: full width on phones, the product page's column on wider screens.
DEFAULT_SIZES = "(max-width: 720px) 100vw, 640px"


def _invalid(
    message: str, *, field: str = "image", kind: ErrorKind = ErrorKind.INVALID
) -> CatalogError:
    return CatalogError(
        CatalogErrorCode.INVALID_PRODUCT, message, details={"field": field}, kind=kind
    )


@dataclass(frozen=True)
class _Decoded:
    image: Image.Image
    format: str


def _decode(upload: IO[bytes], size: int | None) -> _Decoded:
    if size is not None and size > MAX_IMAGE_BYTES:
        raise _invalid(
            f"Images are at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB.", kind=ErrorKind.TOO_LARGE
        )
    data = upload.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise _invalid(
            f"Images are at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB.", kind=ErrorKind.TOO_LARGE
        )
    if not data:
        raise _invalid("The file is empty.")
    not_an_image = _invalid(
        "This file is not a JPEG, PNG, WebP or GIF image.",
        kind=ErrorKind.UNSUPPORTED_MEDIA_TYPE,
    )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format or ""
            width, height = probe.size
            probe.verify()  # structure check without decoding the pixels
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_an_image from None
    if image_format not in ACCEPTED_FORMATS:
        raise not_an_image
    if width * height > MAX_IMAGE_PIXELS:
        raise _invalid(
            "The image has too many pixels (at most 40 megapixels).", kind=ErrorKind.TOO_LARGE
        )
    if min(width, height) < MIN_IMAGE_SIDE:
        raise _invalid(f"Images are at least {MIN_IMAGE_SIDE} pixels wide and high.")
    try:
        image: Image.Image = Image.open(io.BytesIO(data))
        image.load()
        # Phones store rotation as metadata; bake it in (the metadata is dropped on re-encode).
        image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_an_image from None
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    image = image.convert("RGBA" if has_alpha else "RGB")
    return _Decoded(image=image, format=image_format)


def _encode(image: Image.Image, image_format: str) -> bytes:
    out = io.BytesIO()
    if image_format == "AVIF":
        image.save(out, "AVIF", quality=AVIF_QUALITY, speed=AVIF_SPEED)
    elif image_format == "WEBP":
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    elif image_format == "JPEG":
        image.convert("RGB").save(
            out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True
        )
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _resized(image: Image.Image, width: int) -> Image.Image:
    if width >= image.width:
        return image
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def _fallback_format(decoded: _Decoded) -> str:
    """For browsers without WebP: PNG keeps transparency and a PNG original's sharp edges;
    everything else is a JPEG."""
    if decoded.image.mode == "RGBA" or decoded.format == "PNG":
        return "PNG"
    return "JPEG"


@dataclass(frozen=True)
class _Encoded:
    """Every file of one upload, encoded before anything is written or locked."""

    original: bytes
    original_extension: str
    original_content_type: str
    webp: list[tuple[int, int, bytes]]  # (width, height, bytes)
    avif: list[tuple[int, int, bytes]]  # the same sizes; empty without AVIF support
    fallback: tuple[int, int, bytes]
    fallback_format: str


def _encode_all(decoded: _Decoded) -> _Encoded:
    source = decoded.image
    # GIFs keep their first frame, as PNG (no animation on product pages).
    original_format = "PNG" if decoded.format == "GIF" else decoded.format
    widths = sorted(
        {w for w in IMAGE_WIDTHS if w < source.width} | {min(source.width, IMAGE_WIDTHS[-1])}
    )
    webp = []
    avif = []
    for width in widths:
        resized = _resized(source, width)
        webp.append((resized.width, resized.height, _encode(resized, "WEBP")))
        if CAN_ENCODE_AVIF:
            avif.append((resized.width, resized.height, _encode(resized, "AVIF")))
    fallback_format = _fallback_format(decoded)
    fallback_image = _resized(source, min(source.width, FALLBACK_MAX_WIDTH))
    return _Encoded(
        # The original is kept re-encoded (no EXIF: no camera location leaks).
        original=_encode(source, original_format),
        original_extension=_EXTENSIONS[original_format],
        original_content_type=ACCEPTED_FORMATS[original_format],
        webp=webp,
        avif=avif,
        fallback=(
            fallback_image.width,
            fallback_image.height,
            _encode(fallback_image, fallback_format),
        ),
        fallback_format=fallback_format,
    )


_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


def _write_files(image: ProductImage, encoded: _Encoded, written: list[str]) -> None:
    """Save the original and the sizes next to it, noting each name in ``written`` as soon as
    it exists (so a failure half-way removes exactly what was written)."""
    image.file.save(
        f"original.{encoded.original_extension}", ContentFile(encoded.original), save=False
    )
    written.append(image.file.name or "")
    folder = (image.file.name or "").rsplit("/", 1)[0]
    sizes: dict[str, list[dict[str, int | str]]] = {"avif": [], "webp": []}
    for extension, encoded_sizes in (("avif", encoded.avif), ("webp", encoded.webp)):
        for width, height, data in encoded_sizes:
            name = default_storage.save(f"{folder}/w{width}.{extension}", ContentFile(data))
            written.append(name)
            sizes[extension].append({"width": width, "height": height, "name": name})
    width, height, data = encoded.fallback
    extension = _EXTENSIONS[encoded.fallback_format]
    fallback_name = default_storage.save(f"{folder}/fallback.{extension}", ContentFile(data))
    written.append(fallback_name)
    image.variants = {
        **sizes,
        "fallback": {
            "width": width,
            "height": height,
            "name": fallback_name,
            "content_type": ACCEPTED_FORMATS[encoded.fallback_format],
        },
    }


def stored_names(image: ProductImage) -> list[str]:
    """Every file of an uploaded image (original and sizes), as the storage names them."""
    if not image.is_uploaded:
        return []
    names = [image.file.name or ""]
    for extension in ("avif", "webp"):
        names += [entry["name"] for entry in image.variants.get(extension, [])]
    fallback = image.variants.get("fallback")
    if fallback:
        names.append(fallback["name"])
    return names


def _delete_files(names: Sequence[str]) -> None:
    for name in names:
        default_storage.delete(name)


def clean_alt(alt: str) -> str:
    cleaned = " ".join(alt.split())
    if len(cleaned) > ALT_MAX_LENGTH:
        raise _invalid(f"Alt text is at most {ALT_MAX_LENGTH} characters.", field="alt")
    return cleaned


def add_product_image(*, product: Product, upload: IO[bytes], alt: str = "") -> ProductImage:
    """Store an uploaded picture (``upload``: a Django ``UploadedFile`` or any binary file) as
    the product's last image. Refuses, with ``details["field"]``: a file that is not a JPEG,
    PNG, WebP or GIF by its content (``unsupported_media_type``), one over 8 MB or 40
    megapixels (``too_large``), a product that already has 10 images, an archived product."""
    if product.status == ProductStatus.ARCHIVED:
        raise CatalogError(
            CatalogErrorCode.INVALID_TRANSITION,
            "Archived products cannot be edited.",
            kind=ErrorKind.CONFLICT,
        )
    alt = clean_alt(alt)
    if product.images.count() >= MAX_IMAGES_PER_PRODUCT:
        raise _invalid(f"A product has at most {MAX_IMAGES_PER_PRODUCT} images.", field="image")
    decoded = _decode(upload, getattr(upload, "size", None))
    encoded = _encode_all(decoded)
    written: list[str] = []
    try:
        with transaction.atomic():
            # Lock the product so two uploads cannot both take the last free place.
            Product.objects.select_for_update().filter(pk=product.pk).first()
            if product.images.count() >= MAX_IMAGES_PER_PRODUCT:
                raise _invalid(f"A product has at most {MAX_IMAGES_PER_PRODUCT} images.")
            last = product.images.aggregate(last=Max("position"))["last"]
            image = ProductImage(
                product=product,
                key=secrets.token_hex(8),
                alt=alt,
                position=0 if last is None else last + 1,
                width=decoded.image.width,
                height=decoded.image.height,
                content_type=encoded.original_content_type,
            )
            _write_files(image, encoded, written)
            image.save()
            products_changed([product.pk])
    except BaseException:
        _delete_files(written)
        raise
    return image


def _own_image(product: Product, image_id: int) -> ProductImage:
    image = ProductImage.objects.filter(product=product, pk=image_id).first()
    if image is None:
        raise CatalogError(
            CatalogErrorCode.PRODUCT_NOT_FOUND,
            "No such image on this product.",
            details={"field": "image"},
            kind=ErrorKind.NOT_FOUND,
        )
    return image


@transaction.atomic
def reorder_product_images(*, product: Product, ordered_ids: Sequence[int]) -> list[ProductImage]:
    """Put the product's images in this order; ``ordered_ids`` must name each image once."""
    images = {image.pk: image for image in product.images.select_for_update()}
    if sorted(ordered_ids) != sorted(images) or len(set(ordered_ids)) != len(ordered_ids):
        raise _invalid("Give every image of the product once.", field="order")
    for position, image_id in enumerate(ordered_ids):
        images[image_id].position = position
    ProductImage.objects.bulk_update(images.values(), ["position"])
    products_changed([product.pk])
    return [images[image_id] for image_id in ordered_ids]


def move_product_image(*, product: Product, image_id: int, offset: int) -> list[ProductImage]:
    """One place up (``offset=-1``) or down (``+1``): the buttons' way to reorder."""
    ids = list(product.images.order_by("position", "id").values_list("pk", flat=True))
    if image_id not in ids:
        _own_image(product, image_id)  # raises not found
    index = ids.index(image_id)
    target = min(max(index + offset, 0), len(ids) - 1)
    ids.insert(target, ids.pop(index))
    return reorder_product_images(product=product, ordered_ids=ids)


def update_product_image(*, product: Product, image_id: int, alt: str) -> ProductImage:
    image = _own_image(product, image_id)
    image.alt = clean_alt(alt)
    image.save(update_fields=["alt"])
    products_changed([product.pk])
    return image


def remove_product_image(*, product: Product, image_id: int) -> None:
    """Delete the image and, once the transaction commits, its files."""
    image = _own_image(product, image_id)
    names = stored_names(image)
    with transaction.atomic():
        image.delete()
        remaining = list(product.images.order_by("position", "id"))
        for position, other in enumerate(remaining):
            other.position = position
        ProductImage.objects.bulk_update(remaining, ["position"])
        products_changed([product.pk])
        transaction.on_commit(lambda: _delete_files(names))


# --- presenting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageView:
    """What ``<picture>`` needs: ``srcset`` (WebP) and ``avif_srcset`` for its sources, ``src``
    (the JPEG/PNG fallback) and the size for its ``<img>``. Both srcsets are empty for external
    images, ``avif_srcset`` for uploads stored before AVIF."""

    id: int
    src: str
    srcset: str
    sizes: str
    width: int | None
    height: int | None
    alt: str
    is_uploaded: bool
    position: int
    avif_srcset: str = ""


def _srcset(image: ProductImage, folder_url: str, extension: str) -> str:
    """``url 320w, url 640w, ...``; WebP sizes are named ``w320``, AVIF ones ``w320.avif``
    (in the URL folder of the image's fallback: one ``reverse`` per image, not one per size)."""
    suffix = "" if extension == "webp" else f".{extension}"
    return ", ".join(
        f"{folder_url}w{entry['width']}{suffix} {entry['width']}w"
        for entry in image.variants.get(extension, [])
    )


def image_view(image: ProductImage, *, sizes: str = DEFAULT_SIZES) -> ImageView:
    """For ``{% include "catalog/_picture.html" with image=view %}`` (no query: reads the row
    only)."""
    if not image.is_uploaded:
        return ImageView(
            id=image.pk,
            src=image.url,
            srcset="",
            sizes="",
            width=image.width,
            height=image.height,
            alt=image.alt,
            is_uploaded=False,
            position=image.position,
        )
    fallback = image.variants.get("fallback", {})
    src = variant_url(image, "fallback")
    folder_url = src.removesuffix("fallback")
    srcset = _srcset(image, folder_url, "webp")
    return ImageView(
        id=image.pk,
        src=src,
        srcset=srcset,
        sizes=sizes if srcset else "",
        width=fallback.get("width", image.width),
        height=fallback.get("height", image.height),
        alt=image.alt,
        is_uploaded=True,
        position=image.position,
        avif_srcset=_srcset(image, folder_url, "avif") if srcset else "",
    )


def product_image_views(product: Product, *, sizes: str = DEFAULT_SIZES) -> list[ImageView]:
    """The product's images in order, from prefetched ``images`` when there are."""
    return [image_view(image, sizes=sizes) for image in product.images.all()]


def stored_file_for(image: ProductImage, variant: str) -> tuple[str, str] | None:
    """(storage name, content type) of one size of an uploaded image, or None."""
    if not image.is_uploaded:
        return None
    if variant == "fallback":
        fallback = image.variants.get("fallback")
        return (fallback["name"], fallback["content_type"]) if fallback else None
    for entry in image.variants.get("webp", []):
        if variant == f"w{entry['width']}":
            return entry["name"], "image/webp"
    for entry in image.variants.get("avif", []):
        if variant == f"w{entry['width']}.avif":
            return entry["name"], "image/avif"
    return None


def image_is_public(image: ProductImage) -> bool:
    return image.product.status == ProductStatus.PUBLISHED
