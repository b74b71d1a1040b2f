"""Product pictures on cards and the product page: uploaded images are a <picture> of AVIF and
WebP sources in responsive sizes (srcset/sizes) over a fallback <img> with its width and height
(no layout shift), lazy below the fold; pictures uploaded before AVIF still show, as WebP; a
product without a picture shows a quiet placeholder, not a coloured block with a code."""

from __future__ import annotations

import io
import re

from django_tenants.utils import schema_context
from PIL import Image

from core.catalog.models import Product
from core.catalog.services.images import add_product_image
from tests.catalog_helpers import make_product, make_seller


def png(width: int = 900, height: int = 600) -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (width, height), (40, 110, 200)).save(data, format="PNG")
    data.seek(0)
    return data


def html(response) -> str:
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def test_cards_and_product_page_show_uploaded_pictures_with_sizes(client_for, tenant_a):
    seller = make_seller(tenant_a, "acme", "Acme Tools")
    product = make_product(tenant_a, seller, "Swift Editor")
    with schema_context(tenant_a.schema_name):
        add_product_image(
            product=Product.objects.get(pk=product.pk), upload=png(), alt="The editor"
        )
    client = client_for(tenant_a)

    card = re.search(r'<li class="product-card"[^>]*>.*?</li>', html(client.get("/search/")), re.S)
    page = html(client.get("/p/swift-editor/"))

    assert card is not None
    card_sizes = 'sizes="(max-width: 480px) 100vw, (max-width: 760px) 50vw, 320px"'
    avif, webp, image = picture_parts(card.group(0))
    assert " 320w" in avif and ".avif 640w" in avif and card_sizes in avif
    assert " 320w" in webp and "/w640 640w" in webp and card_sizes in webp
    assert 'width="900" height="600"' in image and 'loading="lazy"' in image
    assert 'decoding="async"' in image and 'src="/studio/products/media/' in image
    gallery = re.search(r'<div class="gallery">.*?</div>', page, re.S).group(0)
    avif, webp, image = picture_parts(gallery)
    assert 'sizes="(max-width: 760px) 100vw, 640px"' in avif and ".avif 900w" in avif
    assert 'alt="The editor"' in image and 'fetchpriority="high"' in image
    assert 'width="900" height="600"' in image and "loading=" not in image
    assert '<meta property="og:image" content="http://alpha-market.souk.test/' in page


def test_a_picture_uploaded_before_avif_still_shows_as_webp(client_for, tenant_a):
    seller = make_seller(tenant_a, "acme", "Acme Tools")
    product = make_product(tenant_a, seller, "Swift Editor")
    with schema_context(tenant_a.schema_name):
        image = add_product_image(product=Product.objects.get(pk=product.pk), upload=png())
        # The row as uploads stored it before AVIF: WebP sizes and the fallback only.
        image.variants = {"webp": image.variants["webp"], "fallback": image.variants["fallback"]}
        image.save(update_fields=["variants"])
    client = client_for(tenant_a)

    for page in (html(client.get("/search/")), html(client.get("/p/swift-editor/"))):
        pictures = re.findall(r"<picture>.*?</picture>", page, re.S)
        assert len(pictures) == 1
        assert "image/avif" not in pictures[0] and ".avif" not in pictures[0]
        assert '<source type="image/webp" srcset="' in pictures[0]
        assert 'width="900" height="600"' in pictures[0]


def test_an_external_picture_is_a_plain_img(client_for, tenant_a):
    seller = make_seller(tenant_a, "acme", "Acme Tools")
    make_product(
        tenant_a, seller, "Swift Editor", image_urls=["https://cdn.example.com/editor.png"]
    )
    client = client_for(tenant_a)

    for page in (html(client.get("/search/")), html(client.get("/p/swift-editor/"))):
        assert "<picture>" not in page
        assert '<img src="https://cdn.example.com/editor.png"' in page


def picture_parts(markup: str) -> tuple[str, str, str]:
    """The AVIF <source>, the WebP <source> and the <img> of the one <picture> in ``markup``,
    in that order (a browser takes the first source type it can show)."""
    found = re.findall(r"<picture>(.*?)</picture>", markup, re.S)
    assert len(found) == 1, markup
    tags = re.findall(r"<[a-z]+ [^>]*>", found[0])
    assert [tag.split(" ", 2)[:2] for tag in tags] == [
        ["<source", 'type="image/avif"'],
        ["<source", 'type="image/webp"'],
        ["<img", tags[2].split(" ", 2)[1]],
    ], tags
    return tags[0], tags[1], tags[2]


def test_a_product_without_pictures_shows_a_placeholder(client_for, tenant_a):
    seller = make_seller(tenant_a, "acme", "Acme Tools")
    make_product(tenant_a, seller, "Swift Editor")
    client = client_for(tenant_a)

    assert '<span class="placeholder" aria-hidden="true">S</span>' in html(client.get("/search/"))
    page = html(client.get("/p/swift-editor/"))
    assert '<div class="placeholder" role="img" aria-label="No picture yet">' in page
    assert "og:image" not in page
