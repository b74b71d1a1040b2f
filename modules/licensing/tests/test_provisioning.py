"""Accounts in the seller's software: a signed call to the partner server on purchase, its
answer stored (credentials encrypted), retries with backoff, the fall back to manual set-up
with notices, deprovisioning when the licence ends, and the signature scheme itself."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from core import crypto
from core.integrations.tests.partner_server import (
    Answer,
    partner_server_fixture,  # noqa: F401
    send_again,
)
from modules.licensing.models import ProvisioningCallKind, ProvisioningStatus, SoftwareDetails
from modules.licensing.services import provisioning
from modules.licensing.tests.helpers import buy, fresh, seller_client
from modules.licensing.tests.integration_helpers import (
    account_of,
    automatic_provisioning,
    logged_calls,
    loopback_allowed_fixture,  # noqa: F401
    order_id_of,
    refund_everything,
    share_secret,
)

pytestmark = pytest.mark.usefixtures("loopback_allowed")

# --- provisioning on purchase ----------------------------------------------------------------


def test_purchase_provisions_the_account_with_a_signed_call(
    shop, partner_server, client_for, django_capture_on_commit_callbacks
):
    automatic_provisioning(shop.tenant, shop.product, partner_server)
    share_secret(shop.tenant, shop.seller, partner_server)
    mail.outbox.clear()

    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)

    (received,) = partner_server.calls_to("/provision")
    assert received.is_signature_valid is True
    assert received.headers["souk-event-type"] == "account.provision"
    assert received.headers["souk-event-id"] == f"prov_{license.pk}"
    body = received.json
    assert body["license"]["key"] == license.key
    assert body["license"]["entitlements"] == ["pro", "export"]
    assert body["product"] == {
        "id": shop.product.pk,
        "name": "Swift Editor",
        "slug": shop.product.slug,
    }
    assert body["buyer"] == {"email": "buyer@example.com", "name": "Bea Buyer"}
    assert body["order"]["line_id"] == license.order_line_id
    account = account_of(shop.tenant, license)
    assert (account.status, account.external_account_id, account.attempts) == (
        ProvisioningStatus.PROVISIONED,
        "acct-1",
        1,
    )
    with schema_context(shop.tenant.schema_name):
        credentials = json.loads(crypto.decrypt(account.credentials_encrypted))
    assert credentials == {"login": "user1", "password": "secret-1"}
    assert "secret-1" not in account.credentials_encrypted
    (logged,) = logged_calls(shop.tenant, shop.seller, ProvisioningCallKind.PROVISION)
    assert (logged.is_success, logged.response_status, logged.error) == (True, 201, "")
    assert json.loads(logged.response_body)["credentials"] == "[redacted]"
    assert "secret-1" not in logged.response_body
    assert logged.url == partner_server.url("/provision")
    ready = [m for m in mail.outbox if "account is ready" in m.subject]
    assert [m.to for m in ready] == [["buyer@example.com"]]


def test_partner_refuses_a_replayed_or_tampered_provisioning_call(
    shop, partner_server, client_for, django_capture_on_commit_callbacks
):
    automatic_provisioning(shop.tenant, shop.product, partner_server)
    share_secret(shop.tenant, shop.seller, partner_server)
    buy(client_for, shop, django_capture_on_commit_callbacks)
    (received,) = partner_server.calls_to("/provision")

    tampered = send_again(partner_server, received, body=received.body.replace(b"Bea", b"Eve"))
    partner_server.clock_skew = 301
    replayed_late = send_again(partner_server, received)

    assert (tampered, replayed_late) == (401, 401)
    assert [call.is_signature_valid for call in partner_server.calls_to("/provision")] == [
        True,
        False,
        False,
    ]


def test_failed_provisioning_is_retried_until_it_succeeds(
    shop, partner_server, client_for, django_capture_on_commit_callbacks
):
    automatic_provisioning(shop.tenant, shop.product, partner_server)
    share_secret(shop.tenant, shop.seller, partner_server)
    partner_server.script("/provision", Answer(500, "boom"), Answer(503, "busy"))

    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)

    assert [call.answered for call in partner_server.calls_to("/provision")] == [500, 503, 201]
    event_ids = {call.headers["souk-event-id"] for call in partner_server.calls_to("/provision")}
    assert event_ids == {f"prov_{license.pk}"}  # one event, retried
    account = account_of(shop.tenant, license)
    assert (account.status, account.attempts, account.last_error) == (
        ProvisioningStatus.PROVISIONED,
        3,
        "",
    )
    logged = logged_calls(shop.tenant, shop.seller, ProvisioningCallKind.PROVISION)
    assert [(c.is_success, c.response_status, c.error) for c in logged] == [
        (False, 500, "HTTP 500"),
        (False, 503, "HTTP 503"),
        (True, 201, ""),
    ]


def test_provisioning_falls_back_to_manual_after_the_last_failure_with_notices(
    shop, partner_server, client_for, django_capture_on_commit_callbacks
):
    automatic_provisioning(shop.tenant, shop.product, partner_server)
    share_secret(shop.tenant, shop.seller, partner_server)
    partner_server.script("/provision", *[Answer(500, "down")] * 4)
    mail.outbox.clear()

    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)

    assert len(partner_server.calls_to("/provision")) == 4
    account = account_of(shop.tenant, license)
    assert (account.status, account.attempts, account.last_error, account.next_attempt_at) == (
        ProvisioningStatus.MANUAL,
        4,
        "HTTP 500",
        None,
    )
    assert account.external_account_id == ""
    seller_notice = [m for m in mail.outbox if "Set up an account by hand" in m.subject]
    buyer_notice = [m for m in mail.outbox if "account is on its way" in m.subject]
    assert [m.to for m in seller_notice] == [["acme@example.com"]]
    assert "HTTP 500" in seller_notice[0].body
    assert [m.to for m in buyer_notice] == [["buyer@example.com"]]
    assert not [m for m in mail.outbox if "account is ready" in m.subject]
    # The module's section of the seller's integration dashboard (core/integrations) lists it.
    page = seller_client(client_for, shop.tenant, shop.seller).get("/studio/integration/")
    html = page.content.decode()
    assert '<strong id="waiting-accounts">1</strong>' in html
    assert f'<tr data-account="{account.pk}"><td>{license.pk}</td><td>Swift Editor</td>' in html


def test_an_unusable_answer_counts_as_a_failure(
    shop, partner_server, client_for, django_capture_on_commit_callbacks, settings
):
    settings.SOUK_PROVISIONING_MAX_ATTEMPTS = 2
    automatic_provisioning(shop.tenant, shop.product, partner_server)
    share_secret(shop.tenant, shop.seller, partner_server)
    partner_server.script("/provision", Answer(200, {"ok": True}), Answer(200, "not json"))

    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)

    assert account_of(shop.tenant, license).status == ProvisioningStatus.MANUAL
    logged = logged_calls(shop.tenant, shop.seller, ProvisioningCallKind.PROVISION)
    assert [(c.is_success, c.response_status, c.error) for c in logged] == [
        (False, 200, "Unusable answer: the answer needs an account_id of 1-200 characters"),
        (False, 200, "Unusable answer: the answer is not JSON"),
    ]


def test_redirects_are_not_followed(
    shop, partner_server, client_for, django_capture_on_commit_callbacks, settings
):
    settings.SOUK_PROVISIONING_MAX_ATTEMPTS = 1
    automatic_provisioning(shop.tenant, shop.product, partner_server)
    share_secret(shop.tenant, shop.seller, partner_server)
    partner_server.script(
        "/provision", Answer(302, "", headers={"Location": partner_server.url("/elsewhere")})
    )

    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)

    assert [call.path for call in partner_server.calls] == ["/provision"]
    (logged,) = logged_calls(shop.tenant, shop.seller, ProvisioningCallKind.PROVISION)
    assert logged.error == "HTTP 302: redirects are not followed"
    assert account_of(shop.tenant, license).status == ProvisioningStatus.MANUAL


def test_a_private_address_is_refused_at_send_time(
    shop, partner_server, client_for, django_capture_on_commit_callbacks, settings
):
    """The URL passed the guard when it was configured; by the time of the call it points
    at the cloud's metadata service (DNS rebinding, or a row changed behind the guard)."""
    settings.SOUK_PROVISIONING_MAX_ATTEMPTS = 1
    automatic_provisioning(shop.tenant, shop.product, partner_server)
    with schema_context(shop.tenant.schema_name):
        SoftwareDetails.objects.filter(product=shop.product).update(
            provisioning_url="http://169.254.169.254/latest/meta-data/"
        )

    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)

    assert partner_server.calls == []
    (logged,) = logged_calls(shop.tenant, shop.seller, ProvisioningCallKind.PROVISION)
    assert logged.error.startswith("169.254.169.254 resolves to 169.254.169.254, a private")
    assert logged.response_status is None
    assert account_of(shop.tenant, license).status == ProvisioningStatus.MANUAL


def test_a_manual_provisioning_product_makes_no_call(
    shop, partner_server, client_for, django_capture_on_commit_callbacks
):
    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)

    assert partner_server.calls == []
    assert account_of(shop.tenant, license) is None
    assert logged_calls(shop.tenant, shop.seller) == []


def test_an_attempt_runs_once_however_often_its_task_is_delivered(
    shop, partner_server, client_for, django_capture_on_commit_callbacks
):
    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    automatic_provisioning(shop.tenant, shop.product, partner_server)
    share_secret(shop.tenant, shop.seller, partner_server)
    with schema_context(shop.tenant.schema_name):
        account = provisioning.start_provisioning(license_id=license.pk)  # not queued: no commit

        first = provisioning.attempt_provisioning(account_id=account.pk, attempt=1)
        again = provisioning.attempt_provisioning(account_id=account.pk, attempt=1)

    assert (first.status, again.status) == (ProvisioningStatus.PROVISIONED, "skipped")
    assert len(partner_server.calls_to("/provision")) == 1


def test_refund_deprovisions_the_account(
    shop, partner_server, client_for, django_capture_on_commit_callbacks
):
    automatic_provisioning(shop.tenant, shop.product, partner_server)
    share_secret(shop.tenant, shop.seller, partner_server)
    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)

    refund_everything(
        client_for,
        shop.tenant,
        order_id_of(shop.tenant, license),
        django_capture_on_commit_callbacks,
    )

    assert fresh(shop.tenant, license).status == "revoked"
    (received,) = partner_server.calls_to("/deprovision")
    assert received.is_signature_valid is True
    assert received.headers["souk-event-id"] == f"deprov_{license.pk}"
    assert received.json["external_account_id"] == "acct-1"
    assert received.json["license"]["status"] == "revoked"
    account = account_of(shop.tenant, license)
    assert (account.status, account.last_error) == (ProvisioningStatus.DEPROVISIONED, "")
    kinds = [c.kind for c in logged_calls(shop.tenant, shop.seller)]
    assert kinds == [ProvisioningCallKind.PROVISION, ProvisioningCallKind.DEPROVISION]


def test_failed_deprovisioning_asks_the_seller_to_remove_the_account(
    shop, partner_server, client_for, django_capture_on_commit_callbacks, settings
):
    settings.SOUK_PROVISIONING_MAX_ATTEMPTS = 2
    automatic_provisioning(shop.tenant, shop.product, partner_server)
    share_secret(shop.tenant, shop.seller, partner_server)
    (license,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    partner_server.script("/deprovision", Answer(500, "no"), Answer(500, "still no"))
    mail.outbox.clear()

    refund_everything(
        client_for,
        shop.tenant,
        order_id_of(shop.tenant, license),
        django_capture_on_commit_callbacks,
    )

    assert len(partner_server.calls_to("/deprovision")) == 2
    account = account_of(shop.tenant, license)
    assert (account.status, account.last_error) == (ProvisioningStatus.DEPROVISIONING, "HTTP 500")
    notices = [m for m in mail.outbox if "Remove an account by hand" in m.subject]
    assert [m.to for m in notices] == [["acme@example.com"]]
    assert "acct-1" in notices[0].body
