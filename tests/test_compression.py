"""Text answers are gzip-compressed for clients that accept it (pages a signed-in visitor
gets, API JSON); files are never (a download, an image), so ranges and lengths stay true."""

from __future__ import annotations

import gzip

import pytest

from tests.accounts_helpers import PASSWORD
from tests.commerce_helpers import make_shop


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def test_a_signed_in_page_and_api_json_are_gzipped_when_accepted(shop, client_for):
    client = client_for(shop.tenant)
    signed = client.post("/accounts/login/", {"username": shop.buyer.email, "password": PASSWORD})
    assert signed.status_code == 302
    plain = client.get("/p/swift-editor/")
    zipped = client.get("/p/swift-editor/", HTTP_ACCEPT_ENCODING="gzip, deflate")
    api = client_for(shop.tenant).get("/api/v1/catalog?limit=24", HTTP_ACCEPT_ENCODING="gzip")

    assert "Content-Encoding" not in plain
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    page = gzip.decompress(zipped.content)
    assert b"Swift Editor" in page and shop.buyer.email.encode() in page
    assert api["Content-Encoding"] == "gzip"
    assert b"swift-editor" in gzip.decompress(api.content)


def test_files_are_never_compressed():
    from django.http import FileResponse, HttpResponse
    from django.test import RequestFactory

    from core.compression import TextGZipMiddleware

    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip")
    png = HttpResponse(b"\x89PNG" + b"\0" * 4000, content_type="image/png")
    pdf = FileResponse(iter([b"%PDF-1.7" + b" " * 4000]), content_type="application/pdf")
    html = HttpResponse(b"<p>hello</p>" * 400, content_type="text/html; charset=utf-8")
    middleware = TextGZipMiddleware(lambda request: html)

    assert "Content-Encoding" not in middleware.process_response(request, png)
    assert "Content-Encoding" not in middleware.process_response(request, pdf)
    assert middleware.process_response(request, html)["Content-Encoding"] == "gzip"
