"""The disputes API: parties and operators only (a third user, another marketplace and the
evidence of another dispute are 404), evidence typed by content with a size limit, deciding is
operator-only with an Idempotency-Key, chargebacks in the same timeline, Stripe's evidence
fields, and the provider refund made once under retries against localstripe."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction
from django.test import override_settings
from django_tenants.utils import schema_context

from core.commerce.models import OrderLine, Payment, Refund
from core.commerce.services.fulfilment import fulfil_line
from core.commerce.services.payment_events import on_dispute_closed, on_dispute_opened
from core.disputes import services
from core.disputes.models import Dispute, DisputeEvent, DisputeStatus
from core.events import dispatch_pending
from core.payments.models import EntryKind, JournalEntry
from tests.accounts_helpers import call, make_user, sign_in, signed_in_operator
from tests.catalog_helpers import make_product, make_seller
from tests.commerce_helpers import add, bearer_client, checkout, make_shop
from tests.stripe_fixtures import CARD_SUCCEEDS
from tests.test_disputes import PNG, books_balance, buy

pytest_plugins = ["tests.stripe_fixtures"]


@pytest.fixture
def shop(tenant_b):
    shop = make_shop(tenant_b)
    consultant = make_seller(tenant_b, "sage", "Sage Advice", product_types=("software", "service"))
    shop.audit = make_product(
        tenant_b, consultant, "Security Audit", price=10_000, product_type="service"
    )
    shop.consultant = consultant
    return shop


def signed_in(client_for, tenant, email):
    client = client_for(tenant)
    assert sign_in(client, email).status_code == 200
    return client


def opened(shop, client_for):
    with schema_context(shop.tenant.schema_name):
        line = buy(shop, shop.audit)
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    response = call(
        buyer,
        "post",
        "/disputes",
        {"order_line_id": line.pk, "type": "quality", "reason": "Half of it is missing"},
    )
    assert response.status_code == 201, response.content
    return buyer, line, response.json()


def upload(client, dispute_id, name, content, text=""):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/api/v1/disputes/{dispute_id}/evidence",
        {"text": text, "file": SimpleUploadedFile(name, content)},
    )


def test_parties_and_operators_see_the_dispute_and_nobody_else(shop, client_for, tenant_a):
    buyer, line, dispute = opened(shop, client_for)
    seller = signed_in(client_for, shop.tenant, shop.consultant.owner.email)
    make_user(shop.tenant, "third@example.com")
    third = signed_in(client_for, shop.tenant, "third@example.com")
    operator, _ = signed_in_operator(client_for, shop.tenant)
    path = f"/disputes/{dispute['id']}"

    assert call(buyer, "get", path).json()["your_part"] == "complainant"
    assert call(seller, "get", path).json()["your_part"] == "respondent"
    assert call(operator, "get", path).json()["your_part"] == "operator"
    assert call(third, "get", path).status_code == 404
    assert call(third, "post", path + "/messages", {"text": "hi"}).status_code == 404
    assert upload(third, dispute["id"], "a.png", PNG).status_code == 404
    assert call(third, "post", path + "/appeal", {"text": "no"}).status_code == 404
    assert [d["id"] for d in call(buyer, "get", "/disputes").json()] == [dispute["id"]]
    assert [d["id"] for d in call(seller, "get", "/disputes?role=seller").json()] == [dispute["id"]]
    assert call(third, "get", "/disputes").json() == []
    assert [d["id"] for d in call(operator, "get", "/disputes").json()] == [dispute["id"]]
    # Another marketplace: the same id is nobody's there, even for its own operator.
    other_operator, _ = signed_in_operator(client_for, tenant_a)
    assert call(other_operator, "get", path).status_code == 404
    make_user(tenant_a, shop.buyer.email)
    other_buyer = signed_in(client_for, tenant_a, shop.buyer.email)
    assert call(other_buyer, "get", path).status_code == 404
    assert call(other_buyer, "get", "/disputes").json() == []
    # A buyer cannot open a dispute on someone else's line.
    assert (
        call(third, "post", "/disputes", {"order_line_id": line.pk, "type": "quality"}).status_code
        == 404
    )


def test_evidence_is_typed_by_content_and_private_to_its_dispute(shop, client_for):
    buyer, _line, dispute = opened(shop, client_for)
    made = upload(buyer, dispute["id"], "photo.png", PNG, text="what arrived")
    assert made.status_code == 201, made.content
    assert (made.json()["kind"], made.json()["content_type"]) == ("image", "image/png")
    disguised = upload(buyer, dispute["id"], "invoice.pdf", b"#!/bin/sh\necho hi\n")
    assert disguised.status_code == 415
    with override_settings():
        services_max = services.MAX_FILE_BYTES
        services.MAX_FILE_BYTES = 10
        try:
            too_big = upload(buyer, dispute["id"], "photo.png", PNG)
        finally:
            services.MAX_FILE_BYTES = services_max
    assert too_big.status_code == 413
    url = made.json()["url"]
    got = buyer.get(url)
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == PNG
    # The seller of the line sees it; a second dispute's party does not reach it through
    # their own dispute's path.
    seller = signed_in(client_for, shop.tenant, shop.consultant.owner.email)
    assert seller.get(url).status_code == 200
    other_buyer_email = "other-buyer@example.com"
    other = make_user(shop.tenant, other_buyer_email)
    with schema_context(shop.tenant.schema_name):
        other_line = buy(shop, shop.audit, buyer=other)
        other_dispute = services.open_dispute(
            user=other, order_line_id=other_line.pk, kind="quality", reason="x"
        )
    other_client = signed_in(client_for, shop.tenant, other_buyer_email)
    evidence_id = made.json()["id"]
    assert other_client.get(url).status_code == 404
    assert (
        other_client.get(
            f"/api/v1/disputes/{other_dispute.pk}/evidence/{evidence_id}/file"
        ).status_code
        == 404
    )


def test_only_an_operator_decides_with_an_idempotency_key_and_both_sides_see_it(shop, client_for):
    buyer, _line, dispute = opened(shop, client_for)
    seller = signed_in(client_for, shop.tenant, shop.consultant.owner.email)
    operator, _ = signed_in_operator(client_for, shop.tenant)
    path = f"/disputes/{dispute['id']}/resolve"
    body = {
        "resolution_type": "refund",
        "refund_to_buyer": 5000,
        "release_to_seller": 4000,
        "platform_compensation": 0,
    }
    assert call(seller, "put", path, body, **{"Idempotency-Key": "k1"}).status_code == 403
    assert call(buyer, "put", path, body, **{"Idempotency-Key": "k1"}).status_code == 403
    assert call(operator, "put", path, body).status_code == 400  # no Idempotency-Key
    key = uuid.uuid4().hex
    first = call(operator, "put", path, body, **{"Idempotency-Key": key})
    again = call(operator, "put", path, body, **{"Idempotency-Key": key})
    assert first.status_code == again.status_code == 200, first.content
    assert again["Idempotent-Replayed"] == "true"
    other_key = call(operator, "put", path, body, **{"Idempotency-Key": uuid.uuid4().hex})
    assert other_key.status_code == 200  # same decision again: nothing moves twice
    with schema_context(shop.tenant.schema_name):
        assert Refund.objects.count() == 1
        assert JournalEntry.objects.filter(kind=EntryKind.DISPUTE_RESOLUTION).count() == 1
        books_balance()
    for client in (buyer, seller):
        seen = call(client, "get", f"/disputes/{dispute['id']}").json()
        assert seen["status"] == "resolved"
        assert seen["resolution"]["refund_to_buyer"]["amount"] == 5000
        assert seen["resolution"]["release_to_seller"]["amount"] == 4000
    appealed = call(seller, "post", f"/disputes/{dispute['id']}/appeal", {"text": "Unfair"})
    assert appealed.status_code == 201, appealed.content
    assert appealed.json()["status"] == "appealed"
    decide = {"upheld": True, "compensation": 0, "note": ""}
    same = call(
        operator, "put", f"/disputes/{dispute['id']}/appeal", decide, **{"Idempotency-Key": "a"}
    )
    assert same.status_code == 403
    assert same.json()["error"]["code"] == "same_operator"
    second, _ = signed_in_operator(client_for, shop.tenant, "second-op@example.com")
    done = call(
        second, "put", f"/disputes/{dispute['id']}/appeal", decide, **{"Idempotency-Key": "a"}
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "closed"


def test_a_chargeback_joins_the_timeline_and_the_evidence_maps_onto_stripe_fields(shop, client_for):
    buyer, line, dispute = opened(shop, client_for)
    call(buyer, "post", f"/disputes/{dispute['id']}/messages", {"text": "Only 3 of 6 pages"})
    seller = signed_in(client_for, shop.tenant, shop.consultant.owner.email)
    call(seller, "post", f"/disputes/{dispute['id']}/messages", {"text": "All 6 were sent"})
    seller.post(
        f"/api/v1/disputes/{dispute['id']}/evidence", {"text": "Delivery log: 6 files sent"}
    )
    with schema_context(shop.tenant.schema_name):
        payment = Payment.objects.get(order_id=line.order_id)
        for _ in range(2):  # the provider's webhook is retried: one timeline event
            on_dispute_opened(provider="sandbox", reference=payment.reference, event_id="evt_1")
            dispatch_pending()
        chargeback = Dispute.objects.get(kind="chargeback")
        assert chargeback.order_id == line.order_id
        assert list(
            DisputeEvent.objects.filter(dispute=chargeback).values_list("kind", flat=True)
        ) == ["chargeback_opened"]
        # The line's open dispute shows it in its timeline too, once.
        assert (
            DisputeEvent.objects.filter(dispute_id=dispute["id"], kind="chargeback_opened").count()
            == 1
        )
        on_dispute_closed(
            provider="sandbox", reference=payment.reference, is_won=True, event_id="evt_2"
        )
        dispatch_pending()
        chargeback.refresh_from_db()
        assert chargeback.status == DisputeStatus.CLOSED
        assert list(
            DisputeEvent.objects.filter(dispute=chargeback).values_list("kind", flat=True)
        ) == ["chargeback_opened", "chargeback_closed"]
        fields = services.stripe_evidence(chargeback)
    assert "Security Audit" in fields["product_description"]
    assert "Buyer: Only 3 of 6 pages" in fields["customer_communication"]
    assert "Seller: All 6 were sent" in fields["customer_communication"]
    assert "Delivery log: 6 files sent" in fields["service_documentation"]
    assert "14 days" in fields["refund_policy"]
    assert set(fields) <= {
        "product_description",
        "customer_communication",
        "service_documentation",
        "uncategorized_text",
        "refund_policy",
        "service_date",
    }
    operator, _ = signed_in_operator(client_for, shop.tenant)
    api = call(operator, "get", f"/disputes/{chargeback.pk}/stripe-evidence")
    assert api.status_code == 200 and api.json() == fields
    assert call(buyer, "get", f"/disputes/{chargeback.pk}/stripe-evidence").status_code == 403


def test_the_provider_refund_is_made_once_when_a_decision_is_retried(
    tenant_a, client_for, stripe_testbed, django_capture_on_commit_callbacks
):
    shop = make_shop(tenant_a)
    client = bearer_client(client_for, tenant_a, shop.buyer)
    add(client, shop.editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = checkout(client, card=stripe_testbed.payment_method(CARD_SUCCEEDS))
    assert response.status_code == 201, response.content
    from core.accounts.models import Role

    op = make_user(tenant_a, "op-refund@example.com", role=Role.OPERATOR)
    with schema_context(tenant_a.schema_name):
        line = OrderLine.objects.get(order_id=response.json()["id"])
        if line.fulfilled_at is None:
            fulfil_line(line_id=line.pk)
        dispute = services.open_dispute(
            user=shop.buyer, order_line_id=line.pk, kind="quality", reason="crashes"
        )
        split = {
            "resolution_type": "refund",
            "refund_to_buyer": dispute.frozen_amount,
            "release_to_seller": 0,
            "platform_compensation": 100,
        }
        # The first attempt dies after the provider refunded, before anything committed.
        with transaction.atomic():
            services.resolve(operator=op, dispute_id=dispute.pk, **split)
            transaction.set_rollback(True)
        assert Refund.objects.count() == 0
        services.resolve(operator=op, dispute_id=dispute.pk, **split)
        services.resolve(operator=op, dispute_id=dispute.pk, **split)
        payment = Payment.objects.get(order_id=line.order_id)
        assert Refund.objects.count() == 1
        books_balance()
    refunds = stripe_testbed.client.v1.refunds.list({"payment_intent": payment.reference})
    assert [r.amount for r in refunds.data] == [dispute.frozen_amount + 100]
    sent = stripe_testbed.front.sent("POST", "/v1/refunds")
    assert len(sent) == 2  # the retry asked again, under the same key
    assert len({request.idempotency_key for request in sent}) == 1
