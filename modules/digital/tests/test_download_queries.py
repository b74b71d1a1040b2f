"""Issuing a download link (``POST /api/v1/digital/library/<e>/versions/<v>/download``: the
access check, the limits, the log and the signed URL) costs a fixed number of SQL statements
that does not grow with the buyer's purchases, the product's versions or the downloads
already made; a stranger's or another marketplace's request is refused after the first
lookup, with nothing logged.

``services.downloads.authorise`` runs one statement: the entitlement with the version, the
product's stamping term, the buyer's stamped copy and both counts, inserting the log row
only while both limits allow it (bench/downloads.py measures it; the issue's goal is three
or fewer, the auth's user row included)."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from modules.digital.models import Download, Entitlement, FileVersion
from modules.digital.services import downloads
from modules.digital.tests.helpers import Shop, handbook_pdf
from tenants.schemas_sql import use_public_schema
from tests.accounts_helpers import PASSWORD, make_user
from tests.fleet_helpers import host_of

# The service's statement, plus the SAVEPOINT pair it runs in inside a test's transaction
# (in production it runs on its own, in autocommit).
SERVICE_QUERIES = 1 + 2
# The request adds django-tenants' host lookup and two SET search_path, and the session and
# its user (the API's authentication).
AROUND_THE_SERVICE = 3 + 2
REQUEST_QUERIES = SERVICE_QUERIES + AROUND_THE_SERVICE
# A refusal: the entitlement's lookup, the savepoint rolled back (and django-tenants setting
# the search path again on the way out).
REFUSAL_QUERIES = AROUND_THE_SERVICE + 1 + 4


def _signed_in(shop: Shop, email: str) -> Client:
    client = Client(HTTP_HOST=host_of(shop.tenant))
    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _link_path(entitlement_id: int, version_id: int) -> str:
    return f"/api/v1/digital/library/{entitlement_id}/versions/{version_id}/download"


def _bought(shop: Shop, capture: Any) -> tuple[Entitlement, FileVersion]:
    version = shop.upload(handbook_pdf(2))
    shop.buy(shop.buyer, capture)
    with schema_context(shop.tenant.schema_name):
        return Entitlement.objects.get(buyer=shop.buyer), version


def _authorise(shop: Shop, entitlement: Entitlement, version: FileVersion) -> downloads.Grant:
    return downloads.authorise(
        buyer_id=shop.buyer.pk,
        entitlement_id=entitlement.pk,
        version_id=version.pk,
        ip="203.0.113.9",
        user_agent="Mozilla/5.0 test",
    )


def test_issuing_a_link_costs_the_same_statements_whatever_the_history(
    shop: Shop,
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    entitlement, version = _bought(shop, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        _authorise(shop, entitlement, version)  # the connection's search_path set
        # + the tenant row, read outside a request (schema_context has none)
        with django_assert_max_num_queries(SERVICE_QUERIES + 1):
            _authorise(shop, entitlement, version)

    # A longer history: three more versions, a second purchase, downloads already made.
    for number in range(3):
        latest = shop.upload(handbook_pdf(2 + number), changelog=f"Edition {number + 2}")
    shop.buy(shop.buyer, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        assert Entitlement.objects.filter(buyer=shop.buyer).count() == 2
        newest = Entitlement.objects.filter(buyer=shop.buyer).latest("granted_at")
        Download.objects.filter(entitlement=entitlement).update(counted=False)  # limit 5

    client = _signed_in(shop, shop.buyer.email)
    assert client.post(_link_path(newest.pk, latest.pk)).status_code == 200
    for _ in range(3):
        with django_assert_max_num_queries(REQUEST_QUERIES):
            response = client.post(_link_path(newest.pk, latest.pk))
        assert response.status_code == 200
        assert response.json()["stamped"] is True
    with schema_context(shop.tenant.schema_name):
        assert Download.objects.filter(entitlement=newest).count() == 4


def test_a_stranger_is_refused_after_one_lookup_and_nothing_is_logged(
    shop: Shop,
    make_tenant: Any,
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    entitlement, version = _bought(shop, django_capture_on_commit_callbacks)
    make_user(shop.tenant, "stranger@pdf-press.example")
    stranger = _signed_in(shop, "stranger@pdf-press.example")
    with django_assert_max_num_queries(REFUSAL_QUERIES):
        refused = stranger.post(_link_path(entitlement.pk, version.pk))
    assert refused.status_code == 404

    # Another marketplace's buyer: our purchase is not found there.
    use_public_schema()
    elsewhere = Shop(make_tenant, "other-press")
    theirs = _signed_in(elsewhere, elsewhere.buyer.email)
    assert theirs.post(_link_path(entitlement.pk, version.pk)).status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert not Download.objects.exists()
