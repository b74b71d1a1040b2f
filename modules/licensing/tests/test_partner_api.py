"""The licensing partner API (``/api/v1/partner/v1/licensing/``) as a seller's own systems use
it with their API key: products, orders, manual fulfilment, access, usage, metrics, health -
and nothing of another seller's or another marketplace's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.catalog.models import Product
from core.integrations.models import CallKind
from core.integrations.tests.partner_server import (
    Answer,
    partner_server_fixture,  # noqa: F401
)
from modules.licensing.models import ProvisioningStatus, UsageEvent
from modules.licensing.tests.helpers import (
    buy,
    emitted,
    fresh,
    make_licensing_shop,
    signed_in,
)
from modules.licensing.tests.integration_helpers import (
    PARTNER_PREFIX,
    account_of,
    add_endpoint,
    automatic_provisioning,
    logged_calls,
    loopback_allowed_fixture,  # noqa: F401
    partner,
    partner_client,
    share_secret,
)
from tests.accounts_helpers import call
from tests.catalog_helpers import make_seller

PRODUCT = {
    "name": "Cloud Notes",
    "prices": {"USD": 4900},
    "summary": "Notes that sync",
    "description": "Write anywhere.",
    "features": ["Sync", "Offline"],
    "tags": ["notes"],
    "software": {"license_type": "subscription", "provisioning": "manual", "trial_days": 14},
    "policy": {
        "name": "Team",
        "max_activations": 5,
        "is_floating": True,
        "entitlements": ["sync", "share"],
    },
}


@pytest.fixture
def acme(shop, client_for):
    return partner_client(client_for, shop.tenant, shop.seller)


def test_the_partner_api_needs_a_seller_api_key(shop, client_for):
    anonymous = client_for(shop.tenant)
    forged = client_for(shop.tenant)
    forged.defaults["HTTP_X_API_KEY"] = "souk_sk_000000000000_forged"

    assert partner(anonymous, "get", "/orders").status_code == 401
    assert partner(forged, "get", "/orders").status_code == 401
    assert logged_calls(shop.tenant, shop.seller) == []


# --- products --------------------------------------------------------------------------------


def test_a_software_product_is_created_with_its_policy_and_set_up(shop, acme):
    response = partner(acme, "post", "/products", {**PRODUCT, "submit_for_review": True})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["status"], body["prices"]) == (
        "Cloud Notes",
        "in_review",
        {"USD": 4900},
    )
    software = body["software"]
    assert (software["license_type"], software["provisioning"], software["trial_days"]) == (
        "subscription",
        "manual",
        14,
    )
    (policy,) = software["policies"]
    assert (policy["name"], policy["max_activations"], policy["is_floating"]) == ("Team", 5, True)
    assert policy["entitlements"] == ["sync", "share"]
    assert software["default_policy_id"] == policy["id"]
    with schema_context(shop.tenant.schema_name):
        product = Product.objects.get(pk=body["id"])
        assert (product.seller_id, product.product_type) == (shop.seller.pk, "software")


def test_a_product_is_replaced_and_repriced(shop, acme, loopback_allowed, partner_server):
    product_id = partner(acme, "post", "/products", PRODUCT).json()["id"]
    automatic = {
        "provisioning": "automatic",
        "provisioning_url": partner_server.url("/provision"),
        "deprovisioning_url": partner_server.url("/deprovision"),
    }

    replaced = partner(
        acme,
        "put",
        f"/products/{product_id}",
        {**PRODUCT, "name": "Cloud Notes 2", "software": automatic, "policy": {"name": "Solo"}},
    )
    repriced = partner(acme, "put", f"/products/{product_id}/prices", {"prices": {"USD": 5900}})

    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["name"] == "Cloud Notes 2"
    assert replaced.json()["software"]["provisioning"] == "automatic"
    assert replaced.json()["software"]["provisioning_url"] == partner_server.url("/provision")
    (policy,) = replaced.json()["software"]["policies"]
    assert (policy["name"], policy["max_activations"], policy["is_default"]) == ("Solo", 1, True)
    assert repriced.json()["prices"] == {"USD": 5900}


def test_a_provisioning_url_on_a_private_address_is_refused(shop, acme, settings):
    settings.SOUK_WEBHOOKS_ALLOW_LOOPBACK = False
    software = {"provisioning": "automatic", "provisioning_url": "http://169.254.169.254/x"}

    response = partner(acme, "post", "/products", {**PRODUCT, "software": software})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unsafe_url"
    assert response.json()["error"]["details"] == {"field": "software.provisioning_url"}
    with schema_context(shop.tenant.schema_name):
        assert not Product.objects.filter(name="Cloud Notes").exists()


def test_another_sellers_product_is_not_found(shop, acme):
    other = shop.other_product.pk

    answers = [
        partner(acme, "get", f"/products/{other}").status_code,
        partner(acme, "put", f"/products/{other}", PRODUCT).status_code,
        partner(acme, "put", f"/products/{other}/prices", {"prices": {"USD": 1}}).status_code,
    ]

    assert answers == [404, 404, 404]
    listed = partner(acme, "get", "/products").json()["items"]
    assert [item["id"] for item in listed] == [shop.product.pk]


# --- orders ----------------------------------------------------------------------------------


def test_orders_list_with_lines_and_licences_page_by_cursor(
    shop, acme, client_for, django_capture_on_commit_callbacks
):
    (first,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    (second,) = buy(client_for, shop, django_capture_on_commit_callbacks, buyer=shop.other_buyer)
    buy(client_for, shop, django_capture_on_commit_callbacks, product=shop.other_product)

    page_one = partner(acme, "get", "/orders?limit=1").json()
    page_two = partner(acme, "get", f"/orders?limit=1&cursor={page_one['next_cursor']}").json()

    (newest,) = page_one["items"]
    (oldest,) = page_two["items"]
    assert page_two["next_cursor"] is None
    assert newest["buyer"]["email"] == "other-buyer@example.com"
    assert oldest["buyer"]["email"] == "buyer@example.com"
    (line,) = oldest["lines"]
    assert line["product_id"] == shop.product.pk
    assert [lic["key"] for lic in line["licenses"]] == [first.key]
    assert line["licenses"][0]["needs_account"] is True  # a manual-provisioning product
    assert newest["lines"][0]["licenses"][0]["id"] == second.id
    assert oldest["total"]["amount"] == 2000


def test_listing_orders_takes_the_same_queries_for_any_page_size(
    shop, acme, client_for, django_capture_on_commit_callbacks
):
    for _ in range(3):
        buy(client_for, shop, django_capture_on_commit_callbacks)
    partner(acme, "get", "/orders?limit=1")  # the key is looked up once, then cached

    with CaptureQueriesContext(connection) as one:
        assert len(partner(acme, "get", "/orders?limit=1").json()["items"]) == 1
    with CaptureQueriesContext(connection) as three:
        assert len(partner(acme, "get", "/orders?limit=3").json()["items"]) == 3

    assert len(one) == len(three)


def test_an_order_is_fulfilled_by_hand_and_the_buyer_sees_the_account(
    shop, acme, client_for, django_capture_on_commit_callbacks
):
    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    sub_order_id = partner(acme, "get", "/orders").json()["items"][0]["id"]
    mail.outbox.clear()
    accounts = [
        {
            "license_id": license.pk,
            "external_account_id": "cust-9",
            "credentials": {"login": "bea", "password": "temporary"},
        }
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = partner(acme, "post", f"/orders/{sub_order_id}/fulfil", {"accounts": accounts})

    assert response.status_code == 200, response.content
    (brief,) = response.json()["lines"][0]["licenses"]
    assert brief["account"]["status"] == ProvisioningStatus.PROVISIONED
    assert brief["account"]["external_account_id"] == "cust-9"
    assert "credentials" not in brief["account"]  # the seller's API never echoes them
    assert brief["needs_account"] is False
    assert [m.to for m in mail.outbox if "account is ready" in m.subject] == [["buyer@example.com"]]
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    mine = call(buyer, "get", f"/licenses/mine/{license.pk}").json()
    assert mine["account"]["credentials"] == {"login": "bea", "password": "temporary"}


def test_fulfilling_another_sellers_order_or_licence_is_not_found(
    shop, acme, client_for, django_capture_on_commit_callbacks
):
    (own,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    (theirs,) = buy(
        client_for, shop, django_capture_on_commit_callbacks, product=shop.other_product
    )
    bolt = partner_client(client_for, shop.tenant, shop.other_seller)
    bolt_sub_order = partner(bolt, "get", "/orders").json()["items"][0]["id"]
    acme_sub_order = partner(acme, "get", "/orders").json()["items"][0]["id"]
    account = {"external_account_id": "x", "credentials": {}}

    on_theirs = partner(
        acme,
        "post",
        f"/orders/{bolt_sub_order}/fulfil",
        {"accounts": [{**account, "license_id": own.pk}]},
    )
    their_license = partner(
        acme,
        "post",
        f"/orders/{acme_sub_order}/fulfil",
        {"accounts": [{**account, "license_id": theirs.pk}]},
    )

    assert (on_theirs.status_code, their_license.status_code) == (404, 404)
    assert partner(acme, "get", f"/orders/{bolt_sub_order}").status_code == 404
    assert account_of(shop.tenant, own) is None
    assert account_of(shop.tenant, theirs) is None


def test_provisioning_can_be_started_again_after_it_gave_up(
    shop,
    acme,
    client_for,
    loopback_allowed,
    partner_server,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.SOUK_PROVISIONING_MAX_ATTEMPTS = 1
    automatic_provisioning(shop.tenant, shop.product, partner_server)
    share_secret(shop.tenant, shop.seller, partner_server)
    partner_server.script("/provision", Answer(500, "down"))
    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    assert account_of(shop.tenant, license).status == ProvisioningStatus.MANUAL

    with django_capture_on_commit_callbacks(execute=True):
        response = partner(acme, "post", f"/licenses/{license.pk}/provision")

    assert response.status_code == 202, response.content
    account = account_of(shop.tenant, license)
    assert (account.status, account.external_account_id) == (
        ProvisioningStatus.PROVISIONED,
        "acct-1",
    )
    assert partner(acme, "post", f"/licenses/{license.pk}/provision").status_code == 409


# --- access ----------------------------------------------------------------------------------


def test_a_customers_access_is_revoked_and_given_back(
    shop, acme, client_for, django_capture_on_commit_callbacks
):
    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)

    suspended = partner(
        acme, "post", f"/licenses/{license.pk}/suspend", {"reason": "unpaid invoice"}
    )
    after_suspend = fresh(shop.tenant, license).status
    reinstated = partner(acme, "post", f"/licenses/{license.pk}/reinstate", {})

    assert (suspended.status_code, reinstated.status_code) == (200, 200)
    assert after_suspend == "suspended"
    assert reinstated.json()["status"] == "active"
    (event,) = emitted(shop.tenant, "license.suspended")
    assert (event["license_id"], event["status_reason"]) == (license.pk, "unpaid invoice")
    assert event["actor"].startswith("partner:key:")


def test_another_sellers_licence_is_not_found(
    shop, acme, client_for, django_capture_on_commit_callbacks
):
    (theirs,) = buy(
        client_for, shop, django_capture_on_commit_callbacks, product=shop.other_product
    )

    answers = [
        partner(acme, "get", f"/licenses/{theirs.pk}").status_code,
        partner(acme, "post", f"/licenses/{theirs.pk}/suspend", {"reason": "x"}).status_code,
        partner(acme, "post", f"/licenses/{theirs.pk}/reinstate", {}).status_code,
        partner(acme, "post", f"/licenses/{theirs.pk}/provision").status_code,
    ]

    assert answers == [404, 404, 404, 404]
    assert fresh(shop.tenant, theirs).status == "active"
    assert partner(acme, "get", "/licenses").json()["items"] == []


# --- usage -----------------------------------------------------------------------------------


def test_usage_is_recorded_once_per_event_id(
    shop, acme, client_for, django_capture_on_commit_callbacks
):
    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    event = {
        "event_id": "evt-1",
        "license_key": license.key.lower(),
        "metric": "api_calls",
        "quantity": 250,
        "occurred_at": "2026-11-01T10:00:00Z",
    }

    first = partner(acme, "post", "/usage", event)
    again = partner(acme, "post", "/usage", event)
    by_id = partner(
        acme, "post", "/usage", {**event, "license_key": None, "license_id": license.pk}
    )
    different = partner(acme, "post", "/usage", {**event, "quantity": 251})

    assert (first.status_code, again.status_code, by_id.status_code) == (200, 200, 200)
    assert (first.json()["is_duplicate"], again.json()["is_duplicate"]) == (False, True)
    assert first.json()["id"] == again.json()["id"] == by_id.json()["id"]
    assert different.status_code == 409
    assert different.json()["error"]["code"] == "invalid_usage"
    assert different.json()["error"]["details"] == {"field": "event_id", "event_id": "evt-1"}
    with schema_context(shop.tenant.schema_name):
        rows = list(UsageEvent.objects.values_list("license_id", "event_id", "metric", "quantity"))
    assert rows == [(license.pk, "evt-1", "api_calls", 250)]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"metric": "Not A Metric!"}, "metric"),
        ({"quantity": 0}, "quantity"),
        ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
        ({"license_id": 1}, "license_key"),  # both ways of naming the licence
    ],
)
def test_invalid_usage_names_the_field(
    shop, acme, client_for, django_capture_on_commit_callbacks, change, field
):
    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    event = {"event_id": "e", "license_key": license.key, "metric": "seats", **change}

    response = partner(acme, "post", "/usage", event)

    assert response.status_code == 422, response.content
    assert response.json()["error"]["details"]["field"] == field


def test_usage_for_another_sellers_licence_is_not_found(
    shop, acme, client_for, django_capture_on_commit_callbacks
):
    (theirs,) = buy(
        client_for, shop, django_capture_on_commit_callbacks, product=shop.other_product
    )

    response = partner(
        acme, "post", "/usage", {"event_id": "e", "license_key": theirs.key, "metric": "m"}
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "license_not_found"
    with schema_context(shop.tenant.schema_name):
        assert UsageEvent.objects.count() == 0


# --- metrics and health ----------------------------------------------------------------------


def test_metrics_sum_a_time_frame(shop, acme, client_for, django_capture_on_commit_callbacks):
    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    buy(client_for, shop, django_capture_on_commit_callbacks, product=shop.other_product)
    activated = call(
        client_for(shop.tenant),
        "post",
        "/licenses/activate",
        {"key": license.key, "fingerprint": "fp-1", "name": "laptop"},
    )
    assert activated.status_code == 201, activated.content
    now = datetime.now(UTC)
    for number, quantity in enumerate((100, 20)):
        body = {
            "event_id": f"u{number}",
            "license_id": license.pk,
            "metric": "api_calls",
            "quantity": quantity,
        }
        assert partner(acme, "post", "/usage", body).status_code == 200
    old = {
        "event_id": "old",
        "license_id": license.pk,
        "metric": "api_calls",
        "occurred_at": "2020-01-01T00:00:00Z",
    }
    assert partner(acme, "post", "/usage", old).status_code == 200
    frame = {
        "from": (now - timedelta(days=1)).isoformat(),
        "to": (now + timedelta(days=1)).isoformat(),
    }

    response = partner(
        acme, "get", f"/metrics?from={frame['from']}&to={frame['to']}".replace("+", "%2B")
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["orders"] == 1
    assert body["revenue"] == [
        {"currency": "USD", "orders": 1, "gross": 2000, "seller_net": 1800, "refunded": 0}
    ]
    assert body["licenses"] == {"issued": 1, "active": 1}
    assert body["activations"] == {"new": 1, "active_machines": 1}
    assert body["usage"] == [{"metric": "api_calls", "total": 120, "events": 2}]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from"),
        ("from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
        ("to=2026-01-01T00:00:00Z", "from"),
        ("from=yesterday&to=2026-01-01T00:00:00Z", "from"),
    ],
)
def test_a_bad_time_frame_names_the_field(shop, acme, query, field):
    response = partner(acme, "get", f"/metrics?{query}")

    assert response.status_code == 422, response.content
    error = response.json()["error"]
    fields = (
        [error["details"]["field"]]
        if isinstance(error["details"], dict)
        else [d["field"] for d in error["details"]]
    )
    assert fields == [field]


def test_health_summarises_api_and_webhook_calls(
    shop,
    acme,
    client_for,
    loopback_allowed,
    partner_server,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.SOUK_WEBHOOK_MAX_ATTEMPTS = 2
    add_endpoint(shop.tenant, shop.seller, partner_server, "/hooks", ["license.issued"])
    share_secret(shop.tenant, shop.seller, partner_server)
    partner_server.script("/hooks", Answer(500, "down"))
    buy(client_for, shop, django_capture_on_commit_callbacks)
    partner(acme, "get", "/orders")
    partner(acme, "get", "/licenses/999999")

    health = partner(acme, "get", "/health").json()

    day = health["windows"]["24h"]
    assert (day["api"]["calls"], day["api"]["succeeded"], day["api"]["success_rate"]) == (2, 1, 0.5)
    assert (day["webhook"]["calls"], day["webhook"]["succeeded"]) == (2, 1)
    assert day["webhook"]["p95_latency_ms"] is not None
    assert day["provision"] == {
        "calls": 0,
        "succeeded": 0,
        "success_rate": None,
        "p95_latency_ms": None,
    }
    assert health["windows"]["7d"]["webhook"]["calls"] == 2
    assert [(e["kind"], e["response_status"]) for e in health["last_errors"]] == [
        (CallKind.API, 404),
        (CallKind.WEBHOOK, 500),
    ]
    assert health["pending_deliveries"] == 0
    assert health["docs"] == {"api_docs": "/api/v1/docs", "openapi": "/api/v1/openapi.json"}
    api_calls = logged_calls(shop.tenant, shop.seller, CallKind.API)
    assert [(c.url, c.response_status) for c in api_calls] == [
        (f"GET /api/v1{PARTNER_PREFIX}/orders", 200),
        (f"GET /api/v1{PARTNER_PREFIX}/licenses/999999", 404),
        (f"GET /api/v1{PARTNER_PREFIX}/health", 200),
    ]


# --- the API as a whole ----------------------------------------------------------------------


def test_the_api_key_throttle_applies(shop, acme, settings):
    settings.SOUK_RATES = {"api_principal": "2/m"}

    answers = [partner(acme, "get", "/webhooks") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2]["Retry-After"]) >= 1
    assert answers[2].json()["error"]["code"] == "rate_limited"


def test_the_partner_api_is_documented(shop, client_for):
    schema = client_for(shop.tenant).get("/api/v1/openapi.json").json()

    usage = schema["paths"][f"/api/v1{PARTNER_PREFIX}/usage"]["post"]
    assert usage["summary"] == "Report a metered usage event (idempotent by event_id)"
    assert usage["tags"] == ["partner"]
    assert f"/api/v1{PARTNER_PREFIX}/health" in schema["paths"]


def test_another_marketplaces_key_sees_nothing_here(
    other_licensing_tenant, shop, acme, client_for, django_capture_on_commit_callbacks
):
    other_tenant = other_licensing_tenant
    other_shop = make_licensing_shop(other_tenant)
    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    theirs = partner_client(client_for, other_tenant, other_shop.seller)
    acme_key = acme.defaults["HTTP_X_API_KEY"]
    on_other_host = client_for(other_tenant)
    on_other_host.defaults["HTTP_X_API_KEY"] = acme_key

    assert partner(theirs, "get", "/orders").json() == {"items": [], "next_cursor": None}
    assert partner(theirs, "get", f"/licenses/{license.pk}").status_code == 404
    assert (
        partner(
            theirs, "post", "/usage", {"event_id": "e", "license_key": license.key, "metric": "m"}
        ).status_code
        == 404
    )
    assert partner(on_other_host, "get", "/orders").status_code == 401
    assert (
        partner(acme, "get", "/orders").json()["items"][0]["lines"][0]["licenses"][0]["id"]
        == license.pk
    )


def test_the_partner_api_is_not_found_where_the_module_is_off(make_tenant, client_for):
    tenant = make_tenant(f"plain-{uuid.uuid4().hex[:6]}").tenant  # runs alpha, not licensing
    seller = make_seller(tenant, "plain")
    client = partner_client(client_for, tenant, seller)

    assert partner(client, "get", "/orders").status_code == 404
    assert call(client, "get", "/partner/v1/seller").status_code == 200
