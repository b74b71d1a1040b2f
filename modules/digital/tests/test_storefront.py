"""The product page of a digital product: its previews (images sized against layout shift and
lazily loaded, players for clips), what the buyer gets (files with sizes and versions, links
named but never revealed), the licence and the update window, with the default add-to-cart;
with the module off, none of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.test import Client
from django.utils.html import escape
from django_tenants.utils import schema_context

from core.commerce.services.cart import add_product, get_or_create_cart
from modules.digital.models import DigitalProduct
from modules.digital.services import versions
from modules.digital.tests.helpers import Shop, handbook_pdf
from modules.digital.tests.test_previews import previews_of, tone, upload_now
from tenants.services.modules import set_module_enabled
from tests.fleet_helpers import host_of

SECRET_LINK = "https://vault.example/course?token=s3cret"


def page(shop: Shop) -> tuple[int, str]:
    response = Client(HTTP_HOST=host_of(shop.tenant)).get(f"/p/{shop.product.slug}/")
    return response.status_code, response.content.decode()


def test_the_product_page_shows_previews_files_licence_and_updates(
    shop: Shop, django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    capture = django_capture_on_commit_callbacks
    upload_now(shop, capture, handbook_pdf(4))
    upload_now(shop, capture, handbook_pdf(5))
    with schema_context(shop.tenant.schema_name):
        DigitalProduct.objects.filter(pk=shop.terms.pk).update(
            licence_kind="commercial", licence_text="Use it in client work; do not resell it."
        )
        track = versions.add_file(product=shop.terms, title="Audiobook sample")
        versions.add_file(product=shop.terms, title="Video course", external_url=SECRET_LINK)
    upload_now(shop, capture, tone(tmp_path), "sample.mp3", track.pk)

    status, html = page(shop)

    assert status == 200
    images = [p for p in previews_of(shop) if p.kind == "image"]
    assert len(images) == 3
    for preview in images:
        assert f'src="/digital/previews/{preview.key}/"' in html
    assert f'width="900" height="{images[0].height}"' in html and 'loading="lazy"' in html
    assert "<audio controls" in html
    assert "The handbook (PDF)" in html and "version 2" in html
    assert "Video course" in html and SECRET_LINK not in html and "vault.example" not in html
    assert "Licence: Commercial use" in html and "do not resell it" in html
    assert "Updates for 12 months" in html
    assert 'action="/cart/' in html or "add-to-cart" in html.lower()


def test_with_the_module_off_the_page_has_no_panel(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    upload_now(shop, django_capture_on_commit_callbacks, handbook_pdf(2))
    set_module_enabled(tenant=shop.tenant, key="digital", is_enabled=False)

    status, html = page(shop)

    assert status == 404  # a digital product is not for sale without the module
    assert "dg-previews" not in html and "Updates for 12 months" not in html
    (preview,) = previews_of(shop)[:1]
    client = Client(HTTP_HOST=host_of(shop.tenant))
    assert client.get(f"/digital/previews/{preview.key}/").status_code == 404


def test_the_checkout_shows_the_licence_the_buyer_accepts(shop: Shop) -> None:
    """The buyer sees each digital product's licence before placing the order; with the
    module off the checkout shows none."""
    with schema_context(shop.tenant.schema_name):
        DigitalProduct.objects.filter(pk=shop.terms.pk).update(
            licence_kind="commercial", licence_text="Use it in client work.\nDo not resell it."
        )
        cart = get_or_create_cart(buyer=shop.buyer, token=None)
        add_product(cart=cart, product_id=shop.product.pk)
    client = Client(HTTP_HOST=host_of(shop.tenant))
    with schema_context(shop.tenant.schema_name):
        client.force_login(shop.buyer)

    html = client.get("/checkout/").content.decode()
    assert "Licence terms" in html
    assert f"<strong>{escape(shop.product.name)}</strong>: Commercial use licence" in html
    assert "Use it in client work.<br>Do not resell it." in html
    assert "Placing the order means you accept this licence." in html

    set_module_enabled(tenant=shop.tenant, key="digital", is_enabled=False)
    assert "Licence terms" not in client.get("/checkout/").content.decode()
