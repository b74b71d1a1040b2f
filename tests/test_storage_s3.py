"""Private tenant files on S3: keys under the tenant's schema, private objects, presigned URLs
of at most five minutes. Against moto's S3 server on loopback.

moto serves presigned URLs without checking them (neither signature nor expiry), so the
server here puts a gate in front of moto that enforces what AWS enforces on a query-signed
request: the SigV4 signature (recomputed with botocore's signer and the bucket's secret)
and ``X-Amz-Date + X-Amz-Expires``. Unsigned requests go to moto unchanged, which refuses
anonymous reads of private objects itself."""

from __future__ import annotations

import hmac
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.auth import S3SigV4QueryAuth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.credentials import Credentials  # type: ignore[import-untyped]
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_tenants.utils import schema_context
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from core.sellers.models import Seller, VerificationDocument
from core.storage import MAX_PRIVATE_URL_SECONDS, TenantPrivateS3Storage, private_file_url
from tests.accounts_helpers import call, signed_in_operator
from tests.test_sellers import PDF, signed_in, upload

BUCKET = "souk-test-private"
ACCESS_KEY = "souk-test-access-key"
SECRET_KEY = "souk-test-secret-key"
REGION = "us-east-1"


def presign_problem(environ: dict[str, Any]) -> tuple[str, str] | None:
    """Why AWS would refuse this query-signed request, or None (also for unsigned ones)."""
    query = environ.get("QUERY_STRING", "")
    params = dict(parse_qsl(query, keep_blank_values=True))
    if "X-Amz-Signature" not in params:
        return None
    expires = int(params["X-Amz-Expires"])
    signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if datetime.now(UTC) > signed_at + timedelta(seconds=expires):
        return "AccessDenied", "Request has expired"
    raw_path = (environ.get("RAW_URI") or environ["PATH_INFO"]).split("?", 1)[0]
    unsigned = "&".join(p for p in query.split("&") if not p.startswith("X-Amz-Signature="))
    request = AWSRequest(
        method=environ["REQUEST_METHOD"], url=f"http://{environ['HTTP_HOST']}{raw_path}?{unsigned}"
    )
    request.context["timestamp"] = params["X-Amz-Date"]
    signer = S3SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION, expires=expires)
    expected = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    if not hmac.compare_digest(expected, params["X-Amz-Signature"]):
        return "SignatureDoesNotMatch", "The request signature does not match."
    return None


class PresignGate:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        problem = presign_problem(environ)
        if problem is None:
            return self.app(environ, start_response)
        start_response("403 Forbidden", [("Content-Type", "application/xml")])
        code, message = problem
        return [f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()]


class GatedMotoServer(ThreadedMotoServer):
    """moto's threaded server with the presign gate in front of its WSGI app."""

    def _server_entry(self) -> None:
        app = PresignGate(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def storages(self, **options: Any) -> dict[str, Any]:
        return {
            "default": {
                "BACKEND": "core.storage.TenantPrivateS3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "endpoint_url": self.endpoint,
                    "region_name": REGION,
                    "access_key": ACCESS_KEY,
                    "secret_key": SECRET_KEY,
                    "addressing_style": "path",
                    **options,
                },
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }

    def keys(self) -> list[str]:
        listing = self.client().list_objects_v2(Bucket=BUCKET)
        return sorted(entry["Key"] for entry in listing.get("Contents", ()))

    def empty_bucket(self) -> None:
        keys = self.keys()
        if keys:
            self.client().delete_objects(
                Bucket=BUCKET, Delete={"Objects": [{"Key": key} for key in keys]}
            )


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = GatedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    s3 = S3Server(endpoint=f"http://127.0.0.1:{port}")
    s3.client().create_bucket(Bucket=BUCKET)
    yield s3
    server.stop()


@pytest.fixture
def s3_storage(settings: Any, s3_server: S3Server) -> Iterator[S3Server]:
    """Default storage on the S3 server (Django resets default_storage when STORAGES
    changes); the bucket is emptied afterwards."""
    settings.STORAGES = s3_server.storages()
    yield s3_server
    s3_server.empty_bucket()


def http_get(url: str) -> tuple[int, bytes, Any]:
    """A plain HTTP GET (no AWS SDK); headers are looked up case-insensitively."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def field_file(name: str) -> Any:
    """A FieldFile on the default storage, as a model instance would hold it."""
    return VerificationDocument(file=name).file


def test_files_of_two_tenants_land_under_their_own_prefixes(s3_storage, tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        default_storage.save("notes/a.txt", ContentFile(b"from A"))
        # A caller-given prefix of another tenant stays inside this tenant's prefix.
        default_storage.save(f"{tenant_b.schema_name}/planted.txt", ContentFile(b"from A"))
        with pytest.raises(SuspiciousFileOperation):
            default_storage.save("../escape.txt", ContentFile(b"x"))
    with schema_context(tenant_b.schema_name):
        default_storage.save(f"{tenant_b.schema_name}/notes/b.txt", ContentFile(b"from B"))
        listed = default_storage.listdir("notes")

    assert s3_storage.keys() == [
        "t_alpha_market/notes/a.txt",
        "t_alpha_market/t_beta_bazaar/planted.txt",
        "t_beta_bazaar/notes/b.txt",
    ]
    assert listed == ([], ["b.txt"])


def test_a_presigned_url_downloads_with_plain_get_and_stops_working_when_expired(
    s3_storage, tenant_a
):
    with schema_context(tenant_a.schema_name):
        name = default_storage.save(f"{tenant_a.schema_name}/docs/id.pdf", ContentFile(PDF))
        short = private_file_url(field_file(name), expire_seconds=1)
        default = private_file_url(field_file(name))

    assert short is not None and default is not None
    assert http_get(short)[:2] == (200, PDF)
    tampered = default.replace("X-Amz-Expires=300", "X-Amz-Expires=299")
    assert http_get(tampered)[0] == 403
    unsigned = default.split("?", 1)[0]
    assert http_get(unsigned)[0] == 403  # the object is private
    time.sleep(2.5)
    status, body, _ = http_get(short)
    assert status == 403 and b"Request has expired" in body
    assert http_get(default)[:2] == (200, PDF)


def test_presigned_urls_live_at_most_five_minutes(s3_storage, s3_server, tenant_a):
    with schema_context(tenant_a.schema_name):
        url = private_file_url(field_file(f"{tenant_a.schema_name}/docs/x.pdf"))
        with pytest.raises(ValueError):
            private_file_url(field_file("docs/x.pdf"), expire_seconds=MAX_PRIVATE_URL_SECONDS + 1)

    query = parse_qs(urlsplit(url or "").query)
    assert int(query["X-Amz-Expires"][0]) == MAX_PRIVATE_URL_SECONDS == 300
    for unsafe in ({"querystring_expire": 3600}, {"custom_domain": "cdn.example"}):
        with pytest.raises(ImproperlyConfigured):
            TenantPrivateS3Storage(**s3_server.storages(**unsafe)["default"]["OPTIONS"])
    with pytest.raises(ImproperlyConfigured):
        TenantPrivateS3Storage(**s3_server.storages(querystring_auth=False)["default"]["OPTIONS"])


def test_a_tenant_cannot_read_another_tenants_file_through_the_helper(
    s3_storage, tenant_a, tenant_b
):
    with schema_context(tenant_a.schema_name):
        name = default_storage.save(f"{tenant_a.schema_name}/docs/secret.pdf", ContentFile(PDF))
    with schema_context(tenant_b.schema_name):
        url = private_file_url(field_file(name))
        exists = default_storage.exists(name)
        with pytest.raises(FileNotFoundError):
            default_storage.open(name).read()

    assert url is not None and "/t_beta_bazaar/t_alpha_market/docs/secret.pdf?" in url
    assert http_get(url)[0] == 404
    assert exists is False
    assert s3_storage.keys() == ["t_alpha_market/docs/secret.pdf"]


def test_local_storage_has_no_presigned_urls(tenant_a):
    with schema_context(tenant_a.schema_name):
        assert private_file_url(field_file(f"{tenant_a.schema_name}/docs/x.pdf")) is None


def test_onboarding_uploads_land_in_s3_and_operators_get_a_presigned_redirect(
    s3_storage, client_for, tenant_a, tenant_b
):
    maker = signed_in(client_for, tenant_a, "maker@example.com")
    call(
        maker, "post", "/seller/onboarding", {"business_name": "Maker", "legal_form": "individual"}
    )
    document = upload(maker, name="passport.pdf").json()
    with schema_context(tenant_a.schema_name):
        stored = VerificationDocument.objects.get()
        seller_id = Seller.objects.get().pk

    assert (
        s3_storage.keys()
        == [f"t_alpha_market/seller-verification/{seller_id}/{stored.key}"]
        == [stored.file.name]
    )

    op = signed_in_operator(client_for, tenant_a)[0]
    response = op.get(f"/api/v1/operator/sellers/{seller_id}/documents/{document['id']}")
    assert response.status_code == 302
    assert response["Cache-Control"] == "no-store"
    location = response["Location"]
    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["300"]
    status, body, headers = http_get(location)
    assert (status, body) == (200, PDF)
    assert headers["Content-Disposition"] == 'attachment; filename="passport.pdf"'
    assert headers["Content-Type"] == "application/pdf"

    other_op = signed_in_operator(client_for, tenant_b)[0]
    refused = other_op.get(f"/api/v1/operator/sellers/{seller_id}/documents/{document['id']}")
    assert refused.status_code == 404
