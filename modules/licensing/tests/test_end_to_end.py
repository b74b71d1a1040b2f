"""End to end, with a real partner server on loopback playing the seller's software: the
seller sets up automatic provisioning and a webhook; a buyer pays through the real checkout
-> a licence is issued -> the seller's software receives the signed provisioning call (and
verifies it) -> the software activates, validates and heartbeats the key -> the operator
refunds the order -> the licence is revoked and the signed deprovisioning call arrives."""

from __future__ import annotations

from core.integrations.models import CallKind
from core.integrations.signing import verify_signature
from core.integrations.tests.partner_server import partner_server_fixture  # noqa: F401
from modules.licensing.models import ProvisioningCallKind, ProvisioningStatus
from modules.licensing.tests.helpers import api, fresh, purchase, seller_client, signed_in
from modules.licensing.tests.integration_helpers import (
    account_of,
    logged_calls,
    loopback_allowed_fixture,  # noqa: F401
    partner,
    partner_client,
    refund_everything,
)


def test_buy_provision_validate_refund_deprovision(
    shop, client_for, loopback_allowed, partner_server, django_capture_on_commit_callbacks
):
    # The seller's systems: the signing secret and a webhook through the partner API, and
    # automatic provisioning on the product through the seller API.
    erp = partner_client(client_for, shop.tenant, shop.seller)
    partner_server.secret = partner(erp, "get", "/signing-secret").json()["signing_secret"]
    hook = partner(
        erp,
        "post",
        "/webhooks",
        {
            "url": partner_server.url("/hooks"),
            "events": ["order.paid", "license.issued", "license.revoked", "refund.created"],
        },
    )
    assert hook.status_code == 201, hook.content
    set_up = api(
        seller_client(client_for, shop.tenant, shop.seller),
        "put",
        f"/seller/products/{shop.product.pk}/software",
        {
            "provisioning": "automatic",
            "provisioning_url": partner_server.url("/provision"),
            "deprovisioning_url": partner_server.url("/deprovision"),
        },
    )
    assert set_up.status_code == 200, set_up.content

    # The buyer pays through the checkout; the licence is issued.
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    bought = purchase(buyer, shop.tenant, shop.product, django_capture_on_commit_callbacks)
    license = bought.license
    assert license.status == "active"

    # The seller's software got the provisioning call, signed with the seller's secret.
    (provision,) = partner_server.calls_to("/provision")
    assert provision.is_signature_valid is True
    assert verify_signature(
        partner_server.secret,
        provision.headers["souk-timestamp"],
        provision.body,
        provision.headers["souk-signature"],
    )
    assert provision.json["license"]["key"] == license.key
    assert provision.json["buyer"]["email"] == "buyer@example.com"
    assert provision.json["order"]["id"] == bought.order["id"]
    account = account_of(shop.tenant, license)
    assert (account.status, account.external_account_id) == (
        ProvisioningStatus.PROVISIONED,
        "acct-1",
    )
    mine = api(buyer, "get", f"/mine/{license.pk}").json()
    assert mine["account"]["credentials"] == {"login": "user1", "password": "secret-1"}
    hooks = [call.json["type"] for call in partner_server.calls_to("/hooks")]
    assert sorted(hooks) == ["license.issued", "order.paid"]

    # The software activates the key on a machine, validates it and sends heartbeats.
    software = client_for(shop.tenant)
    machine = {"key": license.key, "fingerprint": "mac-1f:2e"}
    activated = api(software, "post", "/activate", {**machine, "name": "Bea's laptop"})
    validated = api(software, "post", "/validate", machine)
    beat = api(software, "post", "/heartbeat", machine)
    assert activated.status_code == 201, activated.content
    assert (validated.json()["valid"], validated.json()["code"]) == (True, "VALID")
    assert beat.status_code == 200, beat.content
    assert beat.json()["last_heartbeat_at"] is not None

    # The operator refunds the order: the licence is revoked, the account removed.
    refund_everything(
        client_for, shop.tenant, bought.order["id"], django_capture_on_commit_callbacks
    )

    assert fresh(shop.tenant, license).status == "revoked"
    (deprovision,) = partner_server.calls_to("/deprovision")
    assert deprovision.is_signature_valid is True
    assert deprovision.json["external_account_id"] == "acct-1"
    assert deprovision.json["license"]["status"] == "revoked"
    assert account_of(shop.tenant, license).status == ProvisioningStatus.DEPROVISIONED
    after = api(software, "post", "/validate", machine).json()
    assert (after["valid"], after["code"]) == (False, "REVOKED")
    hooks = sorted(call.json["type"] for call in partner_server.calls_to("/hooks"))
    assert hooks == ["license.issued", "license.revoked", "order.paid", "refund.created"]
    assert all(call.is_signature_valid for call in partner_server.calls)

    # Every call is in the integration log.
    kinds = [
        (c.kind, c.is_success)
        for c in logged_calls(shop.tenant, shop.seller)
        if c.kind != CallKind.API
    ]
    assert sorted(kinds) == sorted(
        [(ProvisioningCallKind.PROVISION, True), (ProvisioningCallKind.DEPROVISION, True)]
        + [(CallKind.WEBHOOK, True)] * 4
    )
