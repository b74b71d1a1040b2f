"""Byte Bazaar's digital goods (``modules.digital.demo.populate``, the manifest's ``demo`` hook)
as a demo visitor finds them: e-books, templates, icons and a soundscape published by three
sellers, each with previews on its page, a licence and versions with changelogs; Amara's
library with her purchases and her own stamped copies (her name on every page); sellers with
a download history. Another marketplace is left alone, a second run changes nothing, and the
demo's previews and purchases stay in Byte Bazaar."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.test import Client
from django.utils.html import escape
from django_tenants.utils import schema_context
from pypdf import PdfReader

from core.accounts.models import User
from core.catalog.models import Product
from modules.digital import demo
from modules.digital.models import (
    DigitalProduct,
    Download,
    Entitlement,
    FileVersion,
    Preview,
    PreviewKind,
    StampedCopy,
    StampStatus,
)
from modules.digital.services import library, stats
from tests.fleet_helpers import host_of

PASSWORD = "pw-demo-12345"
AMARA = "amara.okafor@demo.localhost"


@pytest.mark.slow  # about 25 s: six products' covers, previews, nine checkouts, stamping
def test_byte_bazaar_sells_e_books_and_templates_with_previews_bought_and_stamped(
    make_tenant: Any,
) -> None:
    bazaar = make_tenant("byte-bazaar", name="Byte Bazaar", modules=["digital"]).tenant
    other = make_tenant("pdf-corner", modules=["digital"]).tenant
    with schema_context(other.schema_name):
        assert demo.populate("pdf-corner", password=PASSWORD, seed=5) is False
        assert not Product.objects.exists()

    with schema_context(bazaar.schema_name):
        assert demo.populate("byte-bazaar", password=PASSWORD, seed=5) is True
        assert demo.populate("byte-bazaar", password=PASSWORD, seed=5) is False  # sold already

        # Six published products of three sellers, each with its terms and previews.
        sold = Product.objects.filter(product_type="digital", status="published")
        assert sold.count() == 6
        assert sorted(set(sold.values_list("seller__slug", flat=True))) == [
            "nimbus-labs",
            "pixel-forge",
            "quill-works",
        ]
        for product in sold:
            terms = DigitalProduct.objects.get(product=product)
            assert terms.licence_text
            assert Preview.objects.filter(product=terms).exists(), product.name
        kinds = set(Preview.objects.values_list("kind", flat=True))
        assert kinds == {PreviewKind.IMAGE, PreviewKind.AUDIO}

        # The e-books are real books: pages, a contents outline, three editions of one.
        playbook = DigitalProduct.objects.get(product__name=demo.PRICING.title)
        versions = FileVersion.objects.filter(file__product=playbook).order_by("number")
        assert [v.number for v in versions] == [1, 2, 3]
        assert all(v.changelog for v in versions)
        with versions.last().content.open("rb") as stream:  # type: ignore[union-attr]
            book = PdfReader(io.BytesIO(stream.read()))
        assert len(book.pages) >= 8
        titles = [item.title for item in book.outline if not isinstance(item, list)]
        assert titles[0] == "1. Know your floor" and len(titles) == 6
        assert Preview.objects.filter(product=playbook, kind=PreviewKind.IMAGE).count() == 3

        # The product page a visitor opens shows the pages and the licence.
        client = Client(HTTP_HOST=host_of(bazaar))
        page = client.get(f"/p/{playbook.product.slug}/")
        assert page.status_code == 200
        html = page.content.decode()
        assert html.count('class="dg-gallery-item"') == 3
        assert "Licence: Personal use" in html and "Updates for 12 months" in html
        first = Preview.objects.filter(product=playbook).first()
        assert first is not None
        shown = client.get(f"/digital/previews/{first.key}/")
        assert shown.status_code == 200 and shown["Content-Type"] == "image/webp"

        # Amara signs in with the demo password and finds her purchases, stamped for her.
        amara = User.objects.get(email=AMARA)
        assert authenticate(email=AMARA, password=PASSWORD) == amara
        entries = library.library_of(amara.pk)
        assert {entry.product_name for entry in entries} == {
            demo.PRICING.title,
            "Proposal & Invoice Template Pack",
            "Deep Work Soundscapes: Rain on the Skylight",
            demo.OFFLINE_FIRST.title,
        }
        her_copies = StampedCopy.objects.filter(entitlement__buyer=amara)
        assert her_copies.count() == 2  # her two e-books
        assert set(her_copies.values_list("status", flat=True)) == {StampStatus.READY}
        for copy in her_copies:
            with copy.content.open("rb") as stream:
                stamped = PdfReader(io.BytesIO(stream.read()))
            order_id = copy.entitlement.order_line.order_id
            line = f"Licensed to Amara Okafor <{AMARA}> order {order_id}"
            assert all(line in sheet.extract_text() for sheet in stamped.pages)
        playbook_entry = next(e for e in entries if e.product_name == demo.PRICING.title)
        latest = playbook_entry.files[0].latest
        assert latest is not None and latest.number == 3 and latest.stamp == "ready"
        assert latest.downloads_left is not None and latest.downloads_left < 5
        assert len(playbook_entry.files[0].earlier) == 2

        signed_in = Client(HTTP_HOST=host_of(bazaar))
        signed_in.force_login(amara)
        shelf = signed_in.get("/digital/library/").content.decode()
        assert escape(demo.PRICING.title) in shelf
        assert shelf.count('<li class="dl-card') == 4

        # Nobody else's library shows her purchases.
        jonas = User.objects.get(email="jonas.weber@demo.localhost")
        assert all(e.product_name != demo.PRICING.title for e in library.library_of(jonas.pk))
        assert (
            signed_in.get(
                f"/digital/library/{Entitlement.objects.filter(buyer=jonas).first().pk}/"  # type: ignore[union-attr]
            ).status_code
            == 404
        )

        # Sellers see who downloaded, over the last weeks.
        quill = playbook.product.seller
        numbers = stats.product_stats(seller_id=quill.pk, product_id=playbook.product_id)
        assert numbers.total >= 3 and numbers.unique_buyers == 3
        assert len([day for day in numbers.per_day if day.downloads]) >= 3
        assert Download.objects.exclude(user_agent="").count() == Download.objects.count()
        preview_key = first.key

    # Its previews are Byte Bazaar's: another marketplace does not serve them.
    elsewhere = Client(HTTP_HOST=host_of(other))
    assert elsewhere.get(f"/digital/previews/{preview_key}/").status_code == 404
