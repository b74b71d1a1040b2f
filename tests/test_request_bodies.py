"""Request bodies the APIs refuse: JSON endpoints take only JSON (a cross-site form cannot sign
a visitor in), and a body Django cannot parse is a 400 in the envelope, never a 500."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.sellers.models import VerificationDocument
from tests.accounts_helpers import PASSWORD, make_user
from tests.catalog_helpers import make_seller
from tests.test_api_errors import assert_envelope

LOGIN = json.dumps({"email": "victim-is-attacker@example.com", "password": PASSWORD})

# What a page on another site can POST without a CORS preflight (and a body-less fetch).
CROSS_SITE_CONTENT_TYPES = [
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
]


def session_cookie(response) -> str | None:
    morsel = response.cookies.get(settings.SESSION_COOKIE_NAME)
    return morsel.value if morsel is not None and morsel.value else None


@pytest.mark.parametrize("content_type", CROSS_SITE_CONTENT_TYPES)
def test_login_with_a_form_content_type_is_415_and_signs_nobody_in(
    client_for, tenant_a, content_type
):
    make_user(tenant_a, "victim-is-attacker@example.com")
    client = client_for(tenant_a)

    response = client.post("/api/v1/auth/login", LOGIN, content_type=content_type)

    error = assert_envelope(response, 415, "unsupported_media_type")
    assert "application/json" in error["message"]
    assert session_cookie(response) is None
    assert client.get("/api/v1/me").status_code == 401


def test_login_without_a_content_type_is_415(client_for, tenant_a):
    """fetch() with a Blob body sends no Content-Type at all, also without a preflight."""
    make_user(tenant_a, "victim-is-attacker@example.com")
    client = client_for(tenant_a)
    response = client.generic("POST", "/api/v1/auth/login", LOGIN.encode(), content_type="")
    assert_envelope(response, 415, "unsupported_media_type")
    assert session_cookie(response) is None


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_login_with_json_signs_in(client_for, tenant_a, content_type):
    make_user(tenant_a, "victim-is-attacker@example.com")
    client = client_for(tenant_a)

    response = client.post("/api/v1/auth/login", LOGIN, content_type=content_type)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "signed_in"
    assert session_cookie(response) is not None
    assert client.get("/api/v1/me").json()["email"] == "victim-is-attacker@example.com"


def test_sign_up_from_a_text_plain_form_creates_no_account(client_for, tenant_a):
    body = json.dumps({"email": "planted@example.com", "password": PASSWORD})
    response = client_for(tenant_a).post("/api/v1/auth/signup", body, content_type="text/plain")
    assert_envelope(response, 415, "unsupported_media_type")
    with schema_context(tenant_a.schema_name):
        assert not User.objects.filter(email="planted@example.com").exists()


def test_platform_api_json_endpoints_refuse_text_plain(staff_client):
    body = json.dumps({"slug": "planted", "name": "Planted", "owner_email": "o@planted.example"})
    response = staff_client.post("/api/platform/v1/tenants", body, content_type="text/plain")
    assert_envelope(response, 415, "unsupported_media_type")


# --- multipart endpoints keep working; bodies Django cannot parse are 400 --------------------


def signed_in(client, email: str):
    login = json.dumps({"email": email, "password": PASSWORD})
    response = client.post("/api/v1/auth/login", login, content_type="application/json")
    assert response.json()["status"] == "signed_in"
    return client


@pytest.fixture
def seller(client_for, tenant_a):
    make_seller(tenant_a, "acme")
    return signed_in(client_for(tenant_a), "acme@example.com")


def test_uploads_still_take_multipart(client_for, tenant_a):
    make_user(tenant_a, "new-seller@example.com")
    applicant = signed_in(client_for(tenant_a), "new-seller@example.com")
    details = {"business_name": "Acme", "legal_form": "company"}
    started = applicant.post(
        "/api/v1/seller/onboarding", json.dumps(details), content_type="application/json"
    )
    assert started.status_code == 201, started.content
    upload = SimpleUploadedFile("id.pdf", b"%PDF-1.4 id", content_type="application/pdf")
    response = applicant.post(
        "/api/v1/seller/onboarding/documents", {"file": upload, "kind": "identity"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["original_name"] == "id.pdf"


@pytest.mark.parametrize(
    "path", ["/api/v1/seller/onboarding/documents", "/api/v1/seller/products/import"]
)
def test_multipart_without_a_boundary_is_400(seller, tenant_a, path):
    response = seller.generic("POST", path, b"--x\r\n\r\n", content_type="multipart/form-data")

    error = assert_envelope(response, 400, "bad_request")
    assert error["message"] == "The request body could not be read."
    with schema_context(tenant_a.schema_name):
        assert not VerificationDocument.objects.exists()


def test_too_many_form_fields_is_400(seller, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=x" for i in range(20))
    response = seller.generic(
        "POST",
        "/api/v1/seller/onboarding/documents",
        body.encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert_envelope(response, 400, "bad_request")


def test_multipart_without_a_boundary_on_a_json_endpoint_is_415(client_for, tenant_a):
    response = client_for(tenant_a).generic(
        "POST", "/api/v1/auth/login", LOGIN.encode(), content_type="multipart/form-data"
    )
    assert_envelope(response, 415, "unsupported_media_type")
