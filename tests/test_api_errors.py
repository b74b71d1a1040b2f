"""Bad input anywhere answers 4xx with the one envelope, never 500."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tests.testmodules.alpha.models import AlphaItem


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error", "request_id"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body["request_id"] == response["X-Request-ID"]
    return body["error"]


@pytest.fixture
def api(client_for, tenant_a):
    client = client_for(tenant_a)

    def post(body, content_type="application/json", path="/api/v1/alpha/items"):
        return client.post(path, body, content_type=content_type)

    return post


def test_malformed_json(api):
    error = assert_envelope(api('{"name": "x",'), 400, "malformed_json")
    assert error["message"] == "The request body is not valid JSON."


def test_wrong_types_name_the_field(api):
    error = assert_envelope(api('{"name": "Mug", "quantity": "lots"}'), 422, "validation_error")
    assert [(d["field"], d["location"]) for d in error["details"]] == [("quantity", "body")]
    assert "quantity" in error["message"]


def test_missing_field_is_named(api):
    error = assert_envelope(api("{}"), 422, "validation_error")
    assert [d["field"] for d in error["details"]] == ["name"]


def test_unknown_fields_are_refused_by_name(api):
    error = assert_envelope(api('{"name": "Mug", "colour": "red"}'), 422, "validation_error")
    assert [d["field"] for d in error["details"]] == ["colour"]
    assert error["details"][0]["type"] == "extra_forbidden"


def test_json_that_is_not_an_object(api):
    assert_envelope(api("[1, 2, 3]"), 422, "validation_error")


def test_out_of_range_values(api):
    error = assert_envelope(api('{"name": "Mug", "quantity": 0}'), 422, "validation_error")
    assert error["details"][0]["field"] == "quantity"


def test_oversized_body_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    assert_envelope(api('{"name": "' + "x" * 2000 + '"}'), 413, "payload_too_large")


def test_nothing_was_written_by_refused_requests(api, tenant_a):
    api('{"name": "x",')
    api('{"name": "Mug", "colour": "red"}')
    with schema_context(tenant_a.schema_name):
        assert not AlphaItem.objects.exists()


def test_unknown_api_path_is_a_404_envelope(client_for, tenant_a):
    assert_envelope(client_for(tenant_a).get("/api/v1/no/such/thing"), 404, "not_found")


def test_wrong_method_is_an_envelope(client_for, tenant_a):
    response = client_for(tenant_a).delete("/api/v1/marketplace")
    assert_envelope(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_bad_query_parameters(client_for, tenant_a):
    client = client_for(tenant_a)
    error = assert_envelope(client.get("/api/v1/alpha/items?limit=abc"), 422, "validation_error")
    assert error["details"][0]["field"] == "limit"
    assert_envelope(client.get("/api/v1/alpha/items?limit=1000"), 422, "validation_error")
    assert_envelope(client.get("/api/v1/alpha/items?cursor=%%%"), 400, "bad_request")
    assert_envelope(client.get("/api/v1/alpha/items?cursor=WyJ4Il0"), 400, "bad_request")


def test_cursor_pagination_walks_every_row_once_with_fixed_queries(client_for, tenant_a):
    with schema_context(tenant_a.schema_name):
        AlphaItem.objects.bulk_create(AlphaItem(name=f"item {i}") for i in range(23))
    client = client_for(tenant_a)
    seen, cursor, pages = [], None, 0
    while True:
        query = f"?limit=10&cursor={cursor}" if cursor else "?limit=10"
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/api/v1/alpha/items" + query).json()
        # host -> tenant, enabled modules, the page itself: the same for any page size.
        assert len(queries) <= 6, [q["sql"] for q in queries]
        seen += [item["name"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [f"item {i}" for i in reversed(range(23))]


def test_list_query_count_does_not_grow_with_page_size(client_for, tenant_a):
    with schema_context(tenant_a.schema_name):
        AlphaItem.objects.bulk_create(AlphaItem(name=f"item {i}") for i in range(60))
    client = client_for(tenant_a)
    client.get("/api/v1/alpha/items?limit=1")  # the enabled-module set is cached after this
    counts = []
    for limit in (1, 50):
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get(f"/api/v1/alpha/items?limit={limit}").json()["items"]) == limit
        counts.append(len(queries))
    # 2 SELECTs (host -> tenant with branding, the page) + search_path SETs.
    assert counts[0] == counts[1] <= 4


def test_marketplace_profile(client_for, tenant_b):
    body = client_for(tenant_b).get("/api/v1/marketplace").json()
    assert body["name"] == "Beta Bazaar"
    assert body["modules"] == ["alpha", "beta"]
    assert body["branding"]["theme"] == "bazaar"
    assert body["branding"]["primary_colour"] == "#aa2200"


def test_openapi_docs_are_served_on_tenant_hosts(client_for, tenant_a):
    client = client_for(tenant_a)
    assert client.get("/api/v1/docs").status_code == 200
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/marketplace" in schema["paths"]
    assert "/api/v1/alpha/items" in schema["paths"]
