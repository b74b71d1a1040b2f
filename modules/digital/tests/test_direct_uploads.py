"""Large versions straight to the bucket, against moto's S3 server (tests/test_storage_s3):
the seller's API signs a POST for one key under the marketplace's prefix, the file is sent
to the bucket over plain HTTP, and completing it publishes the next version checked exactly
like an upload through Souk (type by content, size limit, SHA-256), once however often it
is called. A lying or oversized object is deleted and refused beside the field; another
seller gets 404 and another marketplace cannot publish a key of this one. Stored versions
and buyers' stamped copies are encrypted at rest and still download through presigned URLs.

moto accepts a presigned POST without checking its policy, so the policy's rules
(size range, key, encryption) are asserted as the signed document says them, and the
server-side refusal of an oversized object is exercised by writing it with the SDK."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django_tenants.utils import schema_context
from playwright.sync_api import FilePayload, sync_playwright

from core.accounts.models import User
from core.security_headers import CONTENT_SECURITY_POLICY
from core.sellers.auth import remember_authorised_seller
from modules.digital import studio_uploads
from modules.digital.models import DigitalFile, Entitlement, FileVersion, StampedCopy, StampStatus
from modules.digital.services import downloads
from modules.digital.tests.helpers import Shop, handbook_pdf
from modules.digital.tests.test_seller_api import seller_client
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import call
from tests.browser.conftest import CHROMIUM_ARGS, chromium_executable  # noqa: F401

# The moto S3 server and the storage override, looked up by name in `bucket` below.
from tests.test_storage_s3 import BUCKET, S3Server, http_get, s3_server, s3_storage  # noqa: F401

API = "/digital/seller"


@pytest.fixture
def bucket(request: pytest.FixtureRequest) -> S3Server:
    """Default storage on moto's S3 server, emptied after the test."""
    server: S3Server = request.getfixturevalue("s3_storage")
    return server


def start(client: Client, file_id: int, **body: Any) -> Any:
    return call(client, "post", f"{API}/files/{file_id}/uploads", body)


def complete(client: Client, file_id: int, key: str, name: str, changelog: str = "") -> Any:
    return call(
        client,
        "post",
        f"{API}/files/{file_id}/uploads/{key}/complete",
        {"name": name, "changelog": changelog},
    )


def post_to_bucket(ticket: dict[str, Any], content: bytes, name: str) -> int:
    """What the studio's script does: the signed fields, then the file, as multipart."""
    response = requests.post(
        ticket["url"], data=ticket["fields"], files={"file": (name, content)}, timeout=10
    )
    return response.status_code


def policy(ticket: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(base64.b64decode(ticket["fields"]["policy"])))


def head(s3: S3Server, key: str) -> dict[str, Any]:
    return dict(s3.client().head_object(Bucket=BUCKET, Key=key))


def test_a_version_sent_straight_to_the_bucket_is_published_once_and_encrypted(
    shop: Shop, bucket: S3Server, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    owner = seller_client(client_for, shop, shop.seller)
    content = handbook_pdf(3)

    started = start(owner, shop.file.pk, name="handbook.pdf", size=len(content))
    assert started.status_code == 201, started.content
    ticket = started.json()
    key = ticket["upload_key"]
    object_key = f"{shop.tenant.schema_name}/digital/uploads/{shop.file.pk}/{key}"
    assert ticket["fields"]["key"] == object_key
    assert ticket["max_bytes"] == 500 * 1024 * 1024
    signed = policy(ticket)
    assert ["content-length-range", 1, 500 * 1024 * 1024] in signed["conditions"]
    assert {"x-amz-server-side-encryption": "AES256"} in signed["conditions"]
    assert ticket["fields"]["x-amz-server-side-encryption"] == "AES256"
    assert post_to_bucket(ticket, content, "handbook.pdf") == 204
    assert bucket.keys() == [object_key]

    with django_capture_on_commit_callbacks(execute=True):
        first = complete(owner, shop.file.pk, key, "handbook.pdf", "First edition")
    again = complete(owner, shop.file.pk, key, "handbook.pdf", "First edition")

    assert first.status_code == again.status_code == 201, first.content
    version = first.json()
    assert again.json() == version
    assert version["number"] == 1 and version["changelog"] == "First edition"
    assert version["content_type"] == "application/pdf"
    assert version["size"] == len(content)
    assert version["sha256"] == hashlib.sha256(content).hexdigest()
    version_key = f"{shop.tenant.schema_name}/digital/files/{shop.file.pk}/{key}"
    with schema_context(shop.tenant.schema_name):
        stored = FileVersion.objects.get()
        assert (stored.pk, stored.key, stored.content.name) == (version["id"], key, version_key)
        assert stored.content.read() == content
    # The upload object is gone: posting to its key again cannot touch the version.
    assert not [name for name in bucket.keys() if "/uploads/" in name]  # noqa: SIM118
    stored_head = head(bucket, version_key)
    assert stored_head["ServerSideEncryption"] == "AES256"
    assert stored_head["ContentType"] == "application/pdf"

    # A buyer's stamped copy is encrypted at rest too, and downloads through a presigned URL.
    shop.buy(shop.buyer, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        copy = StampedCopy.objects.get()
        assert copy.status == StampStatus.READY
        grant = downloads.authorise(
            buyer_id=shop.buyer.pk,
            entitlement_id=Entitlement.objects.get().pk,
            version_id=stored.pk,
            ip="203.0.113.9",
            user_agent="test",
        )
    assert head(bucket, str(copy.content.name))["ServerSideEncryption"] == "AES256"
    status, body, _ = http_get(grant.url)
    assert status == 200 and grant.stamped
    assert body.startswith(b"%PDF") and body != content


def test_another_seller_gets_404_and_another_marketplace_cannot_publish_this_ones_upload(
    shop: Shop, bucket: S3Server, client_for: Any, make_tenant: Any
) -> None:
    other = Shop(make_tenant, "other-press")
    owner = seller_client(client_for, shop, shop.seller)
    rival = seller_client(client_for, shop, shop.other_seller)
    ticket = start(owner, shop.file.pk, name="handbook.pdf").json()
    assert post_to_bucket(ticket, handbook_pdf(), "handbook.pdf") == 204

    assert start(rival, shop.file.pk).status_code == 404
    stolen = complete(rival, shop.file.pk, ticket["upload_key"], "handbook.pdf")
    assert stolen.status_code == 404
    assert stolen.json()["error"]["code"] == "digital_not_found"
    assert complete(owner, shop.file.pk, "not-a-key", "x.pdf").status_code == 404

    # Another marketplace's seller names this upload's key: it is looked for under their
    # own marketplace's prefix only, where there is nothing.
    elsewhere = seller_client(client_for, other, other.seller)
    refused = complete(elsewhere, other.file.pk, ticket["upload_key"], "handbook.pdf")
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "direct_upload_missing"
    assert bucket.keys() == [ticket["fields"]["key"]]  # this marketplace's upload is intact
    for market in (shop, other):
        with schema_context(market.tenant.schema_name):
            assert not FileVersion.objects.exists()


def test_a_lying_object_is_refused_beside_the_field_and_deleted(
    shop: Shop, bucket: S3Server, client_for: Any
) -> None:
    owner = seller_client(client_for, shop, shop.seller)
    ticket = start(owner, shop.file.pk, name="handbook.pdf").json()
    assert post_to_bucket(ticket, b"MZ\x90\x00 a Windows program" * 50, "handbook.pdf") == 204

    refused = complete(owner, shop.file.pk, ticket["upload_key"], "handbook.pdf")

    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "file_refused"
    assert error["details"]["field"] == "file"
    assert error["message"] == "handbook.pdf: programs and scripts cannot be sold."
    assert bucket.keys() == []
    with schema_context(shop.tenant.schema_name):
        assert not FileVersion.objects.exists()


def test_an_oversized_file_is_refused_before_sending_and_after_if_it_arrives(
    shop: Shop, bucket: S3Server, client_for: Any
) -> None:
    set_module_enabled(
        tenant=shop.tenant, key="digital", is_enabled=True, config={"max_file_mb": 1}
    )
    owner = seller_client(client_for, shop, shop.seller)
    megabyte = 1024 * 1024

    early = start(owner, shop.file.pk, name="big.pdf", size=megabyte + 1)
    assert early.status_code == 413
    assert early.json()["error"]["message"] == "big.pdf: a file may be at most 1 MB."
    ticket = start(owner, shop.file.pk, name="big.pdf").json()
    assert ["content-length-range", 1, megabyte] in policy(ticket)["conditions"]
    # A bucket that does not enforce the policy (as moto does not) lets it in anyway.
    big = handbook_pdf() + b"0" * megabyte
    bucket.client().put_object(Bucket=BUCKET, Key=ticket["fields"]["key"], Body=big)

    refused = complete(owner, shop.file.pk, ticket["upload_key"], "big.pdf")

    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "file_too_large"
    assert refused.json()["error"]["details"]["field"] == "file"
    assert bucket.keys() == []
    missing = complete(owner, shop.file.pk, ticket["upload_key"], "big.pdf")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "direct_upload_missing"
    with schema_context(shop.tenant.schema_name):
        assert not FileVersion.objects.exists()


def test_without_a_bucket_the_seller_is_sent_to_the_ordinary_upload(
    shop: Shop, client_for: Any
) -> None:
    owner = seller_client(client_for, shop, shop.seller)

    refused = start(owner, shop.file.pk, name="handbook.pdf")
    finishing = complete(owner, shop.file.pk, "0" * 32, "handbook.pdf")

    assert refused.status_code == finishing.status_code == 409
    assert refused.json()["error"]["code"] == "direct_upload_unavailable"
    assert "POST /files/{file_id}/versions" in refused.json()["error"]["message"]
    with schema_context(shop.tenant.schema_name):
        assert not FileVersion.objects.exists()


# --- the studio's direct upload (views called as the studio's guard calls them) ------------


def studio_post(
    shop: Shop, seller: Any, view: Any, path: str | HttpRequest, data: dict[str, str], **kw: Any
) -> Any:
    """A studio POST as the page guard hands it on: the seller authorised, in the tenant."""
    request = path if isinstance(path, HttpRequest) else RequestFactory().post(path, data)
    with schema_context(shop.tenant.schema_name):
        request.user = User.objects.get(pk=seller.owner_id)
        request.tenant = shop.tenant  # type: ignore[attr-defined]
        remember_authorised_seller(request, seller)
        return view(request, **kw)


def test_the_studio_sends_a_version_to_the_bucket_and_gets_the_file_card_back(
    shop: Shop, bucket: S3Server
) -> None:
    path = f"/studio/digital/files/{shop.file.pk}/direct/"
    content = handbook_pdf(2)
    started = studio_post(
        shop,
        shop.seller,
        studio_uploads.start_upload,
        path,
        {"name": "handbook.pdf", "size": str(len(content))},
        file_id=shop.file.pk,
    )
    ticket = json.loads(started.content)
    assert started.status_code == 200 and ticket["direct"] is True
    assert ticket["complete_url"] == f"{path}{ticket['upload_key']}/complete/"
    assert post_to_bucket(ticket, content, "handbook.pdf") == 204

    card = studio_post(
        shop,
        shop.seller,
        studio_uploads.complete_upload,
        ticket["complete_url"],
        {"name": "handbook.pdf", "changelog": "First edition"},
        file_id=shop.file.pk,
        upload_key=ticket["upload_key"],
    )

    html = card.content.decode()
    assert card.status_code == 200
    assert "Version published." in html and 'data-version="1"' in html
    assert "First edition" in html and "digital/direct_upload.js" in html
    with schema_context(shop.tenant.schema_name):
        assert FileVersion.objects.get().sha256 == hashlib.sha256(content).hexdigest()


def test_the_studio_refuses_a_lying_file_beside_the_field_and_another_seller_gets_404(
    shop: Shop, bucket: S3Server
) -> None:
    path = f"/studio/digital/files/{shop.file.pk}/direct/"
    with pytest.raises(Http404):
        studio_post(
            shop, shop.other_seller, studio_uploads.start_upload, path, {}, file_id=shop.file.pk
        )
    ticket = json.loads(
        studio_post(
            shop, shop.seller, studio_uploads.start_upload, path, {}, file_id=shop.file.pk
        ).content
    )
    assert post_to_bucket(ticket, b"#!/bin/sh\nrm -rf ~\n", "notes.txt") == 204
    with pytest.raises(Http404):
        studio_post(
            shop,
            shop.other_seller,
            studio_uploads.complete_upload,
            ticket["complete_url"],
            {"name": "notes.txt"},
            file_id=shop.file.pk,
            upload_key=ticket["upload_key"],
        )

    card = studio_post(
        shop,
        shop.seller,
        studio_uploads.complete_upload,
        ticket["complete_url"],
        {"name": "notes.txt", "changelog": "Keep me"},
        file_id=shop.file.pk,
        upload_key=ticket["upload_key"],
    )

    html = card.content.decode()
    assert "notes.txt: programs and scripts cannot be sold." in html
    assert 'aria-invalid="true"' in html and "Keep me" in html
    assert "Version published." not in html
    assert bucket.keys() == []


def test_the_product_page_may_reach_the_bucket_only_when_there_is_one(
    shop: Shop, request: pytest.FixtureRequest
) -> None:
    page = studio_uploads.allow_bucket_uploads(lambda request: HttpResponse("page"))
    local = studio_post(shop, shop.seller, page, "/studio/digital/products/1/", {})
    path = f"/studio/digital/files/{shop.file.pk}/direct/"
    refused = studio_post(
        shop, shop.seller, studio_uploads.start_upload, path, {}, file_id=shop.file.pk
    )
    assert "Content-Security-Policy" not in local.headers
    assert refused.status_code == 409 and json.loads(refused.content)["direct"] is False

    server: S3Server = request.getfixturevalue("s3_storage")
    on_s3 = studio_post(shop, shop.seller, page, "/studio/digital/products/1/", {})

    policy_header = on_s3.headers["Content-Security-Policy"]
    assert policy_header.startswith(CONTENT_SECURITY_POLICY)
    assert policy_header.endswith(f"; connect-src 'self' {server.endpoint}")


# --- the studio's script in Chromium -----------------------------------------------------------


class StudioHarness:
    """The file card in Chromium, served from the bucket's origin by routing (so no CORS
    rule is needed on moto): ``/studio/...`` answered by the real studio views in this
    process, ``/static/digital/direct_upload.js`` from the module, the bucket untouched."""

    def __init__(self, shop: Shop, origin: str) -> None:
        self.shop, self.origin = shop, origin
        self.ordinary_posts = 0
        self.start_path = f"/studio/digital/files/{shop.file.pk}/direct/"
        # Playwright calls handlers inside its event loop, where Django keeps other database
        # connections (outside the test's transaction): hand them the test's.
        self.connection = connections["default"]

    def card(self) -> str:
        with schema_context(self.shop.tenant.schema_name):
            fresh = DigitalFile.objects.prefetch_related("versions").get(pk=self.shop.file.pk)
            html: str = render_to_string(
                "digital/studio/_file.html", {"entry": {"file": fresh, "errors": {}, "form": {}}}
            )
        if "data-direct-start" not in html:  # until seller_urls names the start view
            html = html.replace(
                'class="dg-upload"', f'class="dg-upload" data-direct-start="{self.start_path}"'
            )
        return html

    def handle(self, route: Any) -> None:
        connections["default"] = self.connection
        self._handle(route)

    def _handle(self, route: Any) -> None:
        request = route.request
        path = urlsplit(request.url).path
        if path.startswith("/static/"):
            route.fulfill(body=SCRIPT.read_bytes(), content_type="text/javascript")
            return
        if request.method == "GET":
            page = studio_uploads.allow_bucket_uploads(
                lambda _: HttpResponse(f"<!doctype html><main>{self.card()}</main>")
            )
            response = studio_post(self.shop, self.shop.seller, page, path, {})
        elif path.endswith("/versions/"):
            self.ordinary_posts += 1
            response = HttpResponse('<p id="ordinary">Sent through Souk.</p>')
        else:
            factory = RequestFactory().generic(
                "POST", path, request.post_data_buffer, request.headers["content-type"]
            )
            view: Any = studio_uploads.start_upload
            kwargs: dict[str, Any] = {"file_id": self.shop.file.pk}
            if path.endswith("/complete/"):
                view = studio_uploads.complete_upload
                kwargs["upload_key"] = path.rstrip("/").split("/")[-2]
            response = studio_post(self.shop, self.shop.seller, view, factory, {}, **kwargs)
        route.fulfill(
            status=response.status_code,
            headers={key: str(value) for key, value in response.headers.items()},
            body=response.content,
        )


SCRIPT = Path(__file__).resolve().parents[1] / "static" / "digital" / "direct_upload.js"


def test_the_studio_script_uploads_to_the_bucket_with_progress_or_falls_back(
    shop: Shop,
    s3_server: S3Server,  # noqa: F811
    chromium_executable: str,  # noqa: F811
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The route handlers query the database from inside Playwright's event loop.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    harness = StudioHarness(shop, s3_server.endpoint)
    content = handbook_pdf(40)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.route(f"{harness.origin}/studio/**", harness.handle)
        page.route(f"{harness.origin}/static/**", harness.handle)
        product = f"{harness.origin}/studio/digital/products/{shop.product.pk}/"
        file_part = FilePayload(name="handbook.pdf", mimeType="application/pdf", buffer=content)

        # Files stored locally: the start answers 409 and the ordinary form is submitted.
        page.goto(product)
        page.set_input_files("input[type=file]", file_part)
        page.get_by_role("button", name="Publish version").click()
        page.locator("#ordinary").wait_for()  # a navigation: the ordinary POST
        assert harness.ordinary_posts == 1

        # On S3 the file goes to the bucket, with progress, and the card comes back.
        bucket: S3Server = request.getfixturevalue("s3_storage")
        page.goto(product)
        page.set_input_files("input[type=file]", file_part)
        page.get_by_label("What changed").fill("Forty pages")
        page.get_by_role("button", name="Publish version").click()
        page.locator('[data-version="1"]').wait_for()
        assert page.get_by_text("Version published.").is_visible()
        assert page.get_by_text("Forty pages").is_visible()
        assert harness.ordinary_posts == 1
        browser.close()

    with schema_context(shop.tenant.schema_name):
        version = FileVersion.objects.get()
    assert (version.changelog, version.size) == ("Forty pages", len(content))
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    assert version.content.name in bucket.keys()  # noqa: SIM118
    assert head(bucket, str(version.content.name))["ServerSideEncryption"] == "AES256"
