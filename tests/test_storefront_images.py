"""Product pictures on cards and the product page: uploaded images come with responsive sizes
(srcset/sizes), their width and height (no layout shift) and lazy loading below the fold; a
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
    image = re.search(r"<img [^>]*>", card.group(0)).group(0)
    assert 'srcset="' in image and " 320w" in image and " 640w" in image
    assert 'sizes="(max-width: 480px) 100vw, (max-width: 760px) 50vw, 320px"' in image
    assert 'width="900" height="600"' in image and 'loading="lazy"' in image
    gallery = re.search(r'<div class="gallery">\s*<img [^>]*>', page).group(0)
    assert 'alt="The editor"' in gallery and 'fetchpriority="high"' in gallery
    assert 'width="900" height="600"' in gallery
    assert '<meta property="og:image" content="http://alpha-market.souk.test/' in page


def test_a_product_without_pictures_shows_a_placeholder(client_for, tenant_a):
    seller = make_seller(tenant_a, "acme", "Acme Tools")
    make_product(tenant_a, seller, "Swift Editor")
    client = client_for(tenant_a)

    assert '<span class="placeholder" aria-hidden="true">S</span>' in html(client.get("/search/"))
    page = html(client.get("/p/swift-editor/"))
    assert '<div class="placeholder" role="img" aria-label="No picture yet">' in page
    assert "og:image" not in page
