"""Product images: uploads checked by content, responsive sizes, order, removal, serving."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context
from PIL import Image

from core.catalog.errors import CatalogError
from core.catalog.models import ProductImage
from core.catalog.services.images import (
    MAX_IMAGES_PER_PRODUCT,
    add_product_image,
    image_view,
    move_product_image,
    remove_product_image,
    reorder_product_images,
    stored_file_for,
    stored_names,
)
from core.catalog.services.products import ProductData, update_product
from core.errors import ErrorKind
from tenants.models import Tenant
from tests.accounts_helpers import sign_in
from tests.catalog_helpers import make_product, make_seller

pytestmark = pytest.mark.django_db


def picture(width: int = 1600, height: int = 900, fmt: str = "JPEG", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (200, 40, 90, 255)[: len(mode)]).save(out, fmt)
    return out.getvalue()


def upload(
    data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_an_uploaded_jpeg_gets_webp_sizes_and_a_jpeg_fallback(tenant_a: Tenant) -> None:
    seller = make_seller(tenant_a, "acme")
    product = make_product(tenant_a, seller, "Widget Pro", publish=False)
    with schema_context(tenant_a.schema_name):
        image = add_product_image(product=product, upload=upload(picture()), alt=" A  widget ")
        assert (image.width, image.height, image.alt) == (1600, 900, "A widget")
        name = image.file.name or ""
        assert name.startswith(f"{tenant_a.schema_name}/catalog/products/{product.pk}/")
        assert [(v["width"], v["height"]) for v in image.variants["webp"]] == [
            (320, 180),
            (640, 360),
            (960, 540),
            (1280, 720),
        ]
        fallback = image.variants["fallback"]
        assert (fallback["width"], fallback["height"], fallback["content_type"]) == (
            1280,
            720,
            "image/jpeg",
        )
        with default_storage.open(image.variants["webp"][0]["name"]) as handle:
            assert Image.open(handle).format == "WEBP"
        view = image_view(image)
        assert view.src.endswith("/fallback")
        assert view.srcset.count("w,") == 3 and view.srcset.endswith(" 1280w")
        assert (view.width, view.height, view.alt) == (1280, 720, "A widget")


def test_an_upload_gets_avif_and_webp_at_each_width_read_back_by_pillow(
    tenant_a: Tenant,
) -> None:
    seller = make_seller(tenant_a, "acme")
    product = make_product(tenant_a, seller, "Widget Pro", publish=False)
    with schema_context(tenant_a.schema_name):
        image = add_product_image(product=product, upload=upload(picture(1600, 900)))
        for extension, pillow_format in (("avif", "AVIF"), ("webp", "WEBP")):
            stored = []
            for entry in image.variants[extension]:
                assert entry["name"].endswith(f"/w{entry['width']}.{extension}")
                with default_storage.open(entry["name"]) as handle:
                    decoded = Image.open(handle)
                    stored.append((decoded.format, decoded.size))
            assert stored == [
                (pillow_format, (320, 180)),
                (pillow_format, (640, 360)),
                (pillow_format, (960, 540)),
                (pillow_format, (1280, 720)),
            ]
        view = image_view(image)
        assert view.avif_srcset.count(".avif ") == 4 and view.avif_srcset.endswith(" 1280w")
        assert stored_file_for(image, "w640.avif") == (
            image.variants["avif"][1]["name"],
            "image/avif",
        )
        assert stored_file_for(image, "w640") == (image.variants["webp"][1]["name"], "image/webp")
        assert stored_file_for(image, "w641.avif") is None


def test_a_small_transparent_png_keeps_its_width_and_a_png_fallback(tenant_a: Tenant) -> None:
    seller = make_seller(tenant_a, "acme")
    product = make_product(tenant_a, seller, "Widget Pro", publish=False)
    with schema_context(tenant_a.schema_name):
        data = picture(500, 400, "PNG", "RGBA")
        image = add_product_image(product=product, upload=upload(data, "logo.png", "image/png"))
        assert [v["width"] for v in image.variants["webp"]] == [320, 500]
        assert [v["width"] for v in image.variants["avif"]] == [320, 500]
        assert image.variants["fallback"]["content_type"] == "image/png"


def test_avif_and_webp_keep_a_translucent_pictures_alpha(tenant_a: Tenant) -> None:
    seller = make_seller(tenant_a, "acme")
    product = make_product(tenant_a, seller, "Widget Pro", publish=False)
    out = io.BytesIO()
    Image.new("RGBA", (400, 300), (200, 40, 90, 128)).save(out, "PNG")
    with schema_context(tenant_a.schema_name):
        image = add_product_image(product=product, upload=upload(out.getvalue(), "logo.png"))
        for extension in ("avif", "webp"):
            with default_storage.open(image.variants[extension][0]["name"]) as handle:
                decoded = Image.open(handle)
                pixel = decoded.getpixel((10, 10))
                assert decoded.mode == "RGBA" and isinstance(pixel, tuple) and pixel[3] == 128


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.4 not an image at all", ErrorKind.UNSUPPORTED_MEDIA_TYPE),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", ErrorKind.UNSUPPORTED_MEDIA_TYPE),
        (picture()[:200], ErrorKind.UNSUPPORTED_MEDIA_TYPE),  # a truncated JPEG
        (picture(40, 40), ErrorKind.INVALID),  # too small
    ],
)
def test_uploads_are_refused_by_content_whatever_their_name(
    tenant_a: Tenant, data: bytes, kind: ErrorKind
) -> None:
    seller = make_seller(tenant_a, "acme")
    product = make_product(tenant_a, seller, "Widget Pro", publish=False)
    with schema_context(tenant_a.schema_name):
        with pytest.raises(CatalogError) as caught:
            add_product_image(product=product, upload=upload(data, "photo.jpg"))
        assert caught.value.kind == kind
        assert caught.value.details == {"field": "image"}
        assert not ProductImage.objects.exists()


def test_a_product_holds_at_most_ten_images(tenant_a: Tenant) -> None:
    seller = make_seller(tenant_a, "acme")
    product = make_product(
        tenant_a, seller, "Widget Pro", publish=False, image_urls=["https://cdn.example.com/a.png"]
    )
    small = picture(100, 100)
    with schema_context(tenant_a.schema_name):
        for _ in range(MAX_IMAGES_PER_PRODUCT - 1):
            add_product_image(product=product, upload=upload(small))
        with pytest.raises(CatalogError) as caught:
            add_product_image(product=product, upload=upload(small))
        assert "at most 10 images" in caught.value.message
        assert product.images.count() == MAX_IMAGES_PER_PRODUCT


def test_reorder_move_and_remove(tenant_a: Tenant, django_capture_on_commit_callbacks: Any) -> None:
    seller = make_seller(tenant_a, "acme")
    product = make_product(tenant_a, seller, "Widget Pro", publish=False)
    with schema_context(tenant_a.schema_name):
        first, second, third = (
            add_product_image(product=product, upload=upload(picture(100, 100))) for _ in range(3)
        )
        reorder_product_images(product=product, ordered_ids=[third.pk, first.pk, second.pk])
        assert list(product.images.values_list("pk", flat=True)) == [third.pk, first.pk, second.pk]
        move_product_image(product=product, image_id=second.pk, offset=-1)
        assert list(product.images.values_list("pk", flat=True)) == [third.pk, second.pk, first.pk]
        with pytest.raises(CatalogError):
            reorder_product_images(product=product, ordered_ids=[third.pk, first.pk])
        names = stored_names(third)
        assert len(names) == 1 + 1 + 1 + 1  # the original, WebP, AVIF, the fallback
        with django_capture_on_commit_callbacks(execute=True):
            remove_product_image(product=product, image_id=third.pk)
        assert list(product.images.values_list("pk", "position")) == [(second.pk, 0), (first.pk, 1)]
        assert not any(default_storage.exists(name) for name in names)


def test_editing_the_product_keeps_uploaded_images(tenant_a: Tenant) -> None:
    seller = make_seller(tenant_a, "acme")
    product = make_product(tenant_a, seller, "Widget Pro", publish=False)
    with schema_context(tenant_a.schema_name):
        image = add_product_image(product=product, upload=upload(picture(100, 100)))
        data = ProductData(
            name="Widget Pro 2",
            product_type="software",
            prices={"USD": 1500},
            image_urls=["https://cdn.example.com/b.png"],
        )
        update_product(product=product, data=data)
        assert list(product.images.values_list("pk", "url", "position")) == [
            (image.pk, "", 0),
            (product.images.get(url__startswith="https").pk, "https://cdn.example.com/b.png", 1),
        ]


def test_published_images_are_public_drafts_are_not(
    tenant_a: Tenant, tenant_b: Tenant, client_for: Callable[[Tenant], Client]
) -> None:
    seller = make_seller(tenant_a, "acme")
    draft = make_product(tenant_a, seller, "Draft Thing", publish=False)
    published = make_product(tenant_a, seller, "Shown Thing")
    with schema_context(tenant_a.schema_name):
        hidden = image_view(add_product_image(product=draft, upload=upload(picture(100, 100))))
        shown = image_view(add_product_image(product=published, upload=upload(picture(100, 100))))
    guest = client_for(tenant_a)
    response = guest.get(shown.src)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "immutable" in response["Cache-Control"]
    assert guest.get(shown.srcset.split(" ")[0])["Content-Type"] == "image/webp"
    avif = guest.get(shown.avif_srcset.split(" ")[0])
    assert avif["Content-Type"] == "image/avif" and "immutable" in avif["Cache-Control"]
    assert Image.open(io.BytesIO(avif.getvalue())).format == "AVIF"
    assert guest.get(hidden.avif_srcset.split(" ")[0]).status_code == 404
    assert guest.get(hidden.src).status_code == 404
    assert client_for(tenant_b).get(shown.src).status_code == 404
    owner = client_for(tenant_a)
    sign_in(owner, "acme@example.com")
    assert owner.get(hidden.src).status_code == 200


def test_a_gif_keeps_its_first_frame_as_a_png(tenant_a: Tenant) -> None:
    seller = make_seller(tenant_a, "acme")
    product = make_product(tenant_a, seller, "Widget Pro", publish=False)
    with schema_context(tenant_a.schema_name):
        data = picture(200, 100, "GIF")
        image = add_product_image(product=product, upload=upload(data, "anim.gif", "image/gif"))
        name = image.file.name or ""
        assert name.endswith("/original.png") and image.content_type == "image/png"
        with default_storage.open(name) as handle:
            assert Image.open(handle).format == "PNG"


def test_a_failed_write_leaves_no_files_behind(tenant_a: Tenant, monkeypatch: Any) -> None:
    seller = make_seller(tenant_a, "acme")
    product = make_product(tenant_a, seller, "Widget Pro", publish=False)
    saved: list[str] = []
    real_save = default_storage.save

    def failing_save(name: str, content: Any, **kwargs: Any) -> str:
        if "fallback" in name:
            raise OSError("disk full")
        stored = real_save(name, content, **kwargs)
        saved.append(stored)
        return stored

    monkeypatch.setattr(default_storage, "save", failing_save)
    with schema_context(tenant_a.schema_name):
        with pytest.raises(OSError):
            add_product_image(product=product, upload=upload(picture()))
        assert not ProductImage.objects.exists()
        assert saved and not any(default_storage.exists(name) for name in saved)
