"""Sellers' webhooks on a licensing marketplace (core/integrations, mounted at the licensing
module's paths): endpoints configured through the partner API (behind the SSRF guard),
deliveries of the events a seller subscribed to - their own orders, refunds and licences,
never another seller's - signed, retried with backoff, logged and replayable, and the
integration dashboard at /studio/integration/. The mechanism's own tests (SSRF guard,
signatures, sweeper, retention, module off, cross-tenant) are in core/integrations/tests/."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.integrations.models import CallKind, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from core.integrations.services.endpoints import update_endpoint
from core.integrations.services.webhooks import emit_webhook_to_audience
from core.integrations.tests.partner_server import (
    Answer,
    partner_server_fixture,  # noqa: F401
)
from modules.licensing.consumers_integration import license_audience
from modules.licensing.tests.helpers import buy, seller_client, signed_in, team_member_client
from modules.licensing.tests.integration_helpers import (
    add_endpoint,
    deliveries_of,
    logged_calls,
    loopback_allowed_fixture,  # noqa: F401
    order_id_of,
    partner,
    partner_client,
    refund_everything,
    secret_of,
    share_secret,
)
from tests.commerce_helpers import add, checkout

# --- endpoints through the partner API -------------------------------------------------------


def test_endpoints_are_configured_through_the_partner_api(shop, client_for, loopback_allowed):
    client = partner_client(client_for, shop.tenant, shop.seller)

    created = partner(
        client,
        "post",
        "/webhooks",
        {"url": "http://127.0.0.1:9/hooks", "events": ["license.issued", "order.paid"]},
    )
    endpoint_id = created.json()["id"]
    changed = partner(
        client,
        "patch",
        f"/webhooks/{endpoint_id}",
        {"events": ["refund.created"], "is_active": False},
    )
    listed = partner(client, "get", "/webhooks")
    removed = partner(client, "delete", f"/webhooks/{endpoint_id}")

    assert created.status_code == 201, created.content
    assert created.json()["events"] == ["license.issued", "order.paid"]
    assert changed.json()["events"] == ["refund.created"]
    assert changed.json()["is_active"] is False
    assert [item["id"] for item in listed.json()["items"]] == [endpoint_id]
    assert removed.status_code == 204
    assert partner(client, "get", "/webhooks").json()["items"] == []


@pytest.mark.parametrize("url", ["http://10.0.0.1/hook", "http://localhost/hook"])
def test_an_endpoint_on_a_private_address_is_refused(shop, client_for, url, settings):
    settings.SOUK_WEBHOOKS_ALLOW_LOOPBACK = False
    client = partner_client(client_for, shop.tenant, shop.seller)

    response = partner(client, "post", "/webhooks", {"url": url, "events": ["order.paid"]})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unsafe_url"
    assert response.json()["error"]["details"] == {"field": "url"}
    assert partner(client, "get", "/webhooks").json()["items"] == []


def test_the_events_offered_are_cores_and_the_licensing_modules(shop, client_for):
    client = partner_client(client_for, shop.tenant, shop.seller)

    offered = partner(client, "get", "/webhooks/events")

    assert offered.status_code == 200
    assert offered.json() == {
        "events": [
            "order.paid",
            "refund.created",
            "subscription.renewed",
            "subscription.cancelled",
            "license.issued",
            "license.suspended",
            "license.revoked",
            "license.expired",
        ]
    }


def test_unknown_events_are_refused(shop, client_for, loopback_allowed):
    client = partner_client(client_for, shop.tenant, shop.seller)

    response = partner(
        client, "post", "/webhooks", {"url": "http://127.0.0.1:9/", "events": ["order.shipped"]}
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_webhook"
    assert response.json()["error"]["details"] == {"field": "events"}


def test_another_sellers_endpoints_and_deliveries_are_not_found(
    shop, client_for, loopback_allowed, partner_server
):
    endpoint = add_endpoint(shop.tenant, shop.other_seller, partner_server, "/bolt", ["order.paid"])
    with schema_context(shop.tenant.schema_name):
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event_id="evt_x", event_type="order.paid", payload={}
        )
    client = partner_client(client_for, shop.tenant, shop.seller)

    answers = [
        partner(client, "get", f"/webhooks/{endpoint.pk}").status_code,
        partner(client, "patch", f"/webhooks/{endpoint.pk}", {"is_active": False}).status_code,
        partner(client, "delete", f"/webhooks/{endpoint.pk}").status_code,
        partner(client, "get", f"/webhooks/{endpoint.pk}/deliveries").status_code,
        partner(client, "post", f"/webhooks/deliveries/{delivery.pk}/replay").status_code,
    ]

    assert answers == [404, 404, 404, 404, 404]
    assert partner(client, "get", "/webhooks").json()["items"] == []
    assert partner_server.calls == []
    assert deliveries_of(shop.tenant, endpoint)[0].status == DeliveryStatus.PENDING


# --- deliveries ------------------------------------------------------------------------------


def test_each_seller_hears_only_of_their_own_lines_signed_with_their_secret(
    shop, client_for, loopback_allowed, partner_server, django_capture_on_commit_callbacks
):
    events = ["order.paid", "license.issued"]
    acme = add_endpoint(shop.tenant, shop.seller, partner_server, "/acme", events)
    bolt = add_endpoint(shop.tenant, shop.other_seller, partner_server, "/bolt", events)
    partner_server.secret_for = {
        "/acme": secret_of(shop.tenant, shop.seller),
        "/bolt": secret_of(shop.tenant, shop.other_seller),
    }
    client = signed_in(client_for, shop.tenant, shop.buyer)
    add(client, shop.product)
    add(client, shop.other_product)

    with django_capture_on_commit_callbacks(execute=True):
        order = checkout(client).json()

    acme_calls = partner_server.calls_to("/acme")
    bolt_calls = partner_server.calls_to("/bolt")
    assert all(call.is_signature_valid for call in acme_calls + bolt_calls)
    assert sorted(call.json["type"] for call in acme_calls) == ["license.issued", "order.paid"]
    assert sorted(call.json["type"] for call in bolt_calls) == ["license.issued", "order.paid"]
    acme_paid = next(call.json for call in acme_calls if call.json["type"] == "order.paid")
    bolt_paid = next(call.json for call in bolt_calls if call.json["type"] == "order.paid")
    assert acme_paid["data"]["order_id"] == bolt_paid["data"]["order_id"] == order["id"]
    assert [line["product_id"] for line in acme_paid["data"]["lines"]] == [shop.product.pk]
    assert [line["product_id"] for line in bolt_paid["data"]["lines"]] == [shop.other_product.pk]
    assert acme_paid["data"]["total"] == 2000
    assert acme_paid["data"]["buyer"]["email"] == "buyer@example.com"
    acme_issued = next(call.json for call in acme_calls if call.json["type"] == "license.issued")
    assert acme_issued["data"]["product_id"] == shop.product.pk
    assert [c.headers["souk-event-id"] for c in acme_calls] == [c.json["id"] for c in acme_calls]
    for endpoint in (acme, bolt):
        deliveries = deliveries_of(shop.tenant, endpoint)
        assert [(d.status, d.attempts) for d in deliveries] == [(DeliveryStatus.SUCCEEDED, 1)] * 2
    logged = logged_calls(shop.tenant, shop.seller, CallKind.WEBHOOK)
    assert [(c.is_success, c.response_status) for c in logged] == [(True, 200), (True, 200)]
    assert {c.delivery_id for c in logged} == {d.pk for d in deliveries_of(shop.tenant, acme)}


def test_events_not_subscribed_to_and_inactive_endpoints_get_nothing(
    shop, client_for, loopback_allowed, partner_server, django_capture_on_commit_callbacks
):
    add_endpoint(shop.tenant, shop.seller, partner_server, "/refunds", ["refund.created"])
    paused = add_endpoint(shop.tenant, shop.seller, partner_server, "/paused", ["order.paid"])
    with schema_context(shop.tenant.schema_name):
        update_endpoint(endpoint=paused, is_active=False)

    buy(client_for, shop, django_capture_on_commit_callbacks)

    assert partner_server.calls == []
    assert deliveries_of(shop.tenant, paused) == []


def test_a_failing_endpoint_is_retried_then_given_up_and_replayed(
    shop,
    client_for,
    loopback_allowed,
    partner_server,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.SOUK_WEBHOOK_MAX_ATTEMPTS = 3
    endpoint = add_endpoint(shop.tenant, shop.seller, partner_server, "/hooks", ["license.issued"])
    share_secret(shop.tenant, shop.seller, partner_server)
    partner_server.script("/hooks", Answer(500, "a"), Answer(502, "b"), Answer(503, "c"))

    buy(client_for, shop, django_capture_on_commit_callbacks)

    (delivery,) = deliveries_of(shop.tenant, endpoint)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        DeliveryStatus.FAILED,
        3,
        None,
    )
    logged = logged_calls(shop.tenant, shop.seller, CallKind.WEBHOOK)
    assert [(c.response_status, c.error, c.delivery_id) for c in logged] == [
        (500, "HTTP 500", delivery.pk),
        (502, "HTTP 502", delivery.pk),
        (503, "HTTP 503", delivery.pk),
    ]

    client = partner_client(client_for, shop.tenant, shop.seller)
    with django_capture_on_commit_callbacks(execute=True):
        replayed = partner(client, "post", f"/webhooks/deliveries/{delivery.pk}/replay")

    assert replayed.status_code == 202, replayed.content
    (delivery,) = deliveries_of(shop.tenant, endpoint)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    calls = partner_server.calls_to("/hooks")
    assert [call.answered for call in calls] == [500, 502, 503, 200]
    assert {call.headers["souk-event-id"] for call in calls} == {delivery.event_id}
    assert calls[-1].is_signature_valid is True
    listed = partner(client, "get", f"/webhooks/{endpoint.pk}/deliveries").json()["items"]
    assert [(item["id"], item["status"]) for item in listed] == [(delivery.pk, "succeeded")]


def test_a_delivery_retried_once_succeeds(
    shop, client_for, loopback_allowed, partner_server, django_capture_on_commit_callbacks
):
    endpoint = add_endpoint(shop.tenant, shop.seller, partner_server, "/hooks", ["license.issued"])
    share_secret(shop.tenant, shop.seller, partner_server)
    partner_server.script("/hooks", Answer(500, "once"))

    buy(client_for, shop, django_capture_on_commit_callbacks)

    (delivery,) = deliveries_of(shop.tenant, endpoint)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    assert [call.answered for call in partner_server.calls_to("/hooks")] == [500, 200]


def test_an_event_delivered_twice_by_the_outbox_makes_one_delivery(
    shop, loopback_allowed, partner_server
):
    endpoint = add_endpoint(shop.tenant, shop.seller, partner_server, "/hooks", ["license.revoked"])
    payload = {"license_id": 1, "seller_id": shop.seller.pk, "status": "revoked"}
    with schema_context(shop.tenant.schema_name):
        first = emit_webhook_to_audience(
            event="license.revoked", payload=payload, audience=license_audience
        )
        again = emit_webhook_to_audience(
            event="license.revoked", payload=payload, audience=license_audience
        )

    assert len(first) == 1
    assert again == []
    assert len(deliveries_of(shop.tenant, endpoint)) == 1


def test_refunds_reach_the_seller_of_the_refunded_line(
    shop, client_for, loopback_allowed, partner_server, django_capture_on_commit_callbacks
):
    acme = add_endpoint(
        shop.tenant, shop.seller, partner_server, "/acme", ["refund.created", "license.revoked"]
    )
    bolt = add_endpoint(shop.tenant, shop.other_seller, partner_server, "/bolt", ["refund.created"])
    share_secret(shop.tenant, shop.seller, partner_server)
    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)

    refund_everything(
        client_for,
        shop.tenant,
        order_id_of(shop.tenant, license),
        django_capture_on_commit_callbacks,
    )

    types = sorted(call.json["type"] for call in partner_server.calls_to("/acme"))
    assert types == ["license.revoked", "refund.created"]
    refund = next(
        c.json for c in partner_server.calls_to("/acme") if c.json["type"] == "refund.created"
    )
    assert refund["data"]["amount"] == 2000
    assert refund["data"]["revoked_line_ids"] == [license.order_line_id]
    assert partner_server.calls_to("/bolt") == []
    assert deliveries_of(shop.tenant, bolt) == []
    assert len(deliveries_of(shop.tenant, acme)) == 2


def test_a_rotated_secret_signs_the_next_deliveries(
    shop, client_for, loopback_allowed, partner_server, django_capture_on_commit_callbacks
):
    add_endpoint(shop.tenant, shop.seller, partner_server, "/hooks", ["license.issued"])
    old = share_secret(shop.tenant, shop.seller, partner_server)
    client = partner_client(client_for, shop.tenant, shop.seller)

    rotated = partner(client, "post", "/signing-secret/rotate").json()["signing_secret"]
    partner_server.secret = rotated
    buy(client_for, shop, django_capture_on_commit_callbacks)

    assert rotated != old
    assert rotated.startswith("whsec_")
    assert partner(client, "get", "/signing-secret").json() == {"signing_secret": rotated}
    assert [call.is_signature_valid for call in partner_server.calls_to("/hooks")] == [True]


def test_the_guard_runs_again_when_a_delivery_is_sent(
    shop, client_for, loopback_allowed, partner_server, django_capture_on_commit_callbacks, settings
):
    settings.SOUK_WEBHOOK_MAX_ATTEMPTS = 1
    endpoint = add_endpoint(shop.tenant, shop.seller, partner_server, "/hooks", ["license.issued"])
    settings.SOUK_WEBHOOKS_ALLOW_LOOPBACK = False  # e.g. the name now resolves elsewhere

    buy(client_for, shop, django_capture_on_commit_callbacks)

    assert partner_server.calls == []
    (delivery,) = deliveries_of(shop.tenant, endpoint)
    assert delivery.status == DeliveryStatus.FAILED
    (logged,) = logged_calls(shop.tenant, shop.seller, CallKind.WEBHOOK)
    assert logged.error.startswith("127.0.0.1 resolves to 127.0.0.1, a private or reserved")
    assert logged.response_status is None


# --- the integration dashboard (/studio/integration/) --------------------------------------


def test_the_dashboard_shows_health_endpoints_deliveries_and_the_log(
    shop, client_for, loopback_allowed, partner_server, django_capture_on_commit_callbacks, settings
):
    settings.SOUK_WEBHOOK_MAX_ATTEMPTS = 1
    endpoint = add_endpoint(shop.tenant, shop.seller, partner_server, "/hooks", ["license.issued"])
    partner_server.script("/hooks", Answer(500, "down"))
    buy(client_for, shop, django_capture_on_commit_callbacks)
    (delivery,) = deliveries_of(shop.tenant, endpoint)
    (failed,) = logged_calls(shop.tenant, shop.seller, CallKind.WEBHOOK)

    page = seller_client(client_for, shop.tenant, shop.seller).get("/studio/integration/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/api/v1/docs"' in html
    assert f'data-endpoint="{endpoint.pk}"' in html
    assert f'data-delivery="{delivery.pk}"' in html
    assert f'data-call="{failed.pk}"' in html
    assert partner_server.url("/hooks") in html
    assert secret_of(shop.tenant, shop.seller) in html
    assert page.context["health"]["windows"]["24h"]["webhook"]["calls"] == 1
    # Core's health rows and the licensing module's, then its section (nothing waiting).
    day = page.context["windows"][0]
    assert [(row["kind"], row["name"], row["calls"]) for row in day["rows"]] == [
        ("api", "Partner API", 0),
        ("webhook", "Webhooks", 1),
        ("provision", "Account set-up", 0),
        ("deprovision", "Account removal", 0),
    ]
    assert '<tr data-kind="webhook"><th scope="row">Webhooks</th><td>1</td>' in html
    assert '<strong id="waiting-accounts">0</strong>' in html
    assert f'href="/studio/integration/calls/{failed.pk}/"' in html


def test_the_dashboard_needs_the_configure_integration_permission(shop, client_for):
    allowed = team_member_client(
        client_for, shop.tenant, shop.seller, "dev@example.com", ["configure_integration"]
    )
    refused = team_member_client(
        client_for, shop.tenant, shop.seller, "support@example.com", ["manage_customers"]
    )
    buyer = signed_in(client_for, shop.tenant, shop.buyer)

    assert allowed.get("/studio/integration/").status_code == 200
    assert refused.get("/studio/integration/").status_code == 403
    assert refused.post("/studio/integration/secret/rotate/").status_code == 403
    assert buyer.get("/studio/integration/").status_code == 403
    assert client_for(shop.tenant).get("/studio/integration/").status_code == 302


def test_an_endpoint_is_added_from_the_dashboard_behind_the_guard(shop, client_for, settings):
    settings.SOUK_WEBHOOKS_ALLOW_LOOPBACK = False
    client = seller_client(client_for, shop.tenant, shop.seller)

    refused = client.post(
        "/studio/integration/endpoints/",
        {"url": "http://169.254.169.254/", "events": ["order.paid"]},
    )
    added = client.post(
        "/studio/integration/endpoints/",
        {"url": "https://93.184.216.34/hooks", "events": ["order.paid", "refund.created"]},
    )

    assert refused.status_code == 200
    assert refused.context["form"].errors["url"][0].startswith("169.254.169.254 resolves to")
    assert added.status_code == 302
    with schema_context(shop.tenant.schema_name):
        endpoints = list(WebhookEndpoint.objects.values_list("seller_id", "url", "events"))
    assert endpoints == [
        (shop.seller.pk, "https://93.184.216.34/hooks", ["order.paid", "refund.created"])
    ]


def test_a_delivery_is_replayed_from_the_dashboard(
    shop, client_for, loopback_allowed, partner_server, django_capture_on_commit_callbacks, settings
):
    settings.SOUK_WEBHOOK_MAX_ATTEMPTS = 1
    endpoint = add_endpoint(shop.tenant, shop.seller, partner_server, "/hooks", ["license.issued"])
    share_secret(shop.tenant, shop.seller, partner_server)
    partner_server.script("/hooks", Answer(500, "down"))
    buy(client_for, shop, django_capture_on_commit_callbacks)
    (delivery,) = deliveries_of(shop.tenant, endpoint)
    client = seller_client(client_for, shop.tenant, shop.seller)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/studio/integration/deliveries/{delivery.pk}/replay/")

    assert response.status_code == 302
    (delivery,) = deliveries_of(shop.tenant, endpoint)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    assert [call.answered for call in partner_server.calls_to("/hooks")] == [500, 200]


def test_another_sellers_dashboard_objects_are_not_found(
    shop, client_for, loopback_allowed, partner_server, django_capture_on_commit_callbacks, settings
):
    settings.SOUK_WEBHOOK_MAX_ATTEMPTS = 1
    endpoint = add_endpoint(
        shop.tenant, shop.other_seller, partner_server, "/bolt", ["license.issued"]
    )
    buy(client_for, shop, django_capture_on_commit_callbacks, product=shop.other_product)
    (delivery,) = deliveries_of(shop.tenant, endpoint)
    (call,) = logged_calls(shop.tenant, shop.other_seller, CallKind.WEBHOOK)
    client = seller_client(client_for, shop.tenant, shop.seller)

    answers = [
        client.get(f"/studio/integration/calls/{call.pk}/").status_code,
        client.post(f"/studio/integration/deliveries/{delivery.pk}/replay/").status_code,
        client.post(
            f"/studio/integration/endpoints/{endpoint.pk}/", {"is_active": "off"}
        ).status_code,
        client.post(f"/studio/integration/endpoints/{endpoint.pk}/delete/").status_code,
    ]

    assert answers == [404, 404, 404, 404]
    assert deliveries_of(shop.tenant, endpoint)[0].attempts == 1
    with schema_context(shop.tenant.schema_name):
        assert WebhookEndpoint.objects.get(pk=endpoint.pk).is_active is True
    page = client.get("/studio/integration/")
    assert page.status_code == 200
    assert partner_server.url("/bolt") not in page.content.decode()
