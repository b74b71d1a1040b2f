"""The dispute pages: the buyer opens a dispute from the order page, the seller's studio and
the operators' queue show it, an operator decides a split with the form; nobody else reaches
any of it (another buyer, another seller's studio, a non-operator, another marketplace), and
the topic lets only the dispute's people listen."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.disputes.models import Dispute, DisputeStatus
from core.disputes.topics import can_join_dispute
from core.realtime.topics import find_topic
from tests.accounts_helpers import make_user, sign_in, signed_in_operator
from tests.catalog_helpers import make_product, make_seller
from tests.commerce_helpers import make_shop
from tests.test_disputes import PNG, buy


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


def test_the_buyer_opens_a_dispute_from_the_order_page_and_everyone_sees_their_page(
    shop, client_for, tenant_a
):
    with schema_context(shop.tenant.schema_name):
        line = buy(shop, shop.audit)
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    order_page = buyer.get(f"/account/orders/{line.order_id}/")
    assert f"/disputes/new/?line={line.pk}" in order_page.content.decode()
    form = buyer.get(f"/disputes/new/?line={line.pk}")
    assert form.status_code == 200
    made = buyer.post(
        "/disputes/new/", {"line": line.pk, "type": "delivery", "reason": "Nothing arrived"}
    )
    assert made.status_code == 302
    with schema_context(shop.tenant.schema_name):
        dispute = Dispute.objects.get()
    assert made["Location"] == f"/disputes/{dispute.pk}/"
    page = buyer.get(made["Location"])
    assert page.status_code == 200 and b"Nothing arrived" in page.content
    assert b'hx-trigger="souk:dispute.status.change from:document' in page.content
    assert (
        buyer.post(
            f"/disputes/{dispute.pk}/act/",
            {"action": "evidence", "text": "photo", "file": _png()},
        ).status_code
        == 302
    )

    seller = signed_in(client_for, shop.tenant, shop.consultant.owner.email)
    assert b"Security Audit" in seller.get("/studio/disputes/").content
    studio = seller.get(f"/studio/disputes/{dispute.pk}/")
    assert studio.status_code == 200 and b"Nothing arrived" in studio.content
    assert seller.get(f"/disputes/{dispute.pk}/").status_code == 404  # not the buyer's page

    other_seller = signed_in(client_for, shop.tenant, shop.seller_one.owner.email)
    assert other_seller.get(f"/studio/disputes/{dispute.pk}/").status_code == 404
    assert b"Security Audit" not in other_seller.get("/studio/disputes/").content

    stranger_user = make_user(shop.tenant, "stranger@example.com")
    stranger = signed_in(client_for, shop.tenant, stranger_user.email)
    assert stranger.get(f"/disputes/{dispute.pk}/").status_code == 404
    assert stranger.get(f"/disputes/new/?line={line.pk}").status_code == 404
    assert (
        stranger.post(
            f"/disputes/{dispute.pk}/act/", {"action": "comment", "text": "x"}
        ).status_code
        == 404
    )
    assert stranger.get(f"/operator/disputes/{dispute.pk}/").status_code == 403
    with schema_context(shop.tenant.schema_name):
        evidence = dispute.evidence.get()
    file_path = f"/disputes/{dispute.pk}/evidence/{evidence.pk}/"
    assert buyer.get(file_path).status_code == 200
    assert stranger.get(file_path).status_code == 404

    operator, _ = signed_in_operator(client_for, shop.tenant)
    queue = operator.get("/operator/disputes/")
    assert queue.status_code == 200 and b"Security Audit" in queue.content
    assert operator.get(file_path).status_code == 200
    decided = operator.post(
        f"/operator/disputes/{dispute.pk}/act/",
        {
            "action": "resolve",
            "resolution_type": "refund",
            "refund_to_buyer": "90.00",
            "release_to_seller": "0",
            "platform_compensation": "10.00",
        },
    )
    assert decided.status_code == 302
    with schema_context(shop.tenant.schema_name):
        dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED
    assert (dispute.refund_to_buyer, dispute.platform_compensation) == (9000, 1000)

    # Another marketplace: none of it exists there.
    other_operator, _ = signed_in_operator(client_for, tenant_a)
    assert other_operator.get(f"/operator/disputes/{dispute.pk}/").status_code == 404
    assert other_operator.get(file_path).status_code == 404


def test_only_the_disputes_people_may_listen_to_its_topic(shop, tenant_a):
    assert find_topic("dispute") is not None
    operator = make_user(shop.tenant, "listener-op@example.com", role="operator")
    stranger = make_user(shop.tenant, "listener@example.com")
    with schema_context(shop.tenant.schema_name):
        line = buy(shop, shop.audit)
        from core.disputes import services

        dispute = services.open_dispute(
            user=shop.buyer, order_line_id=line.pk, kind="quality", reason="x"
        )
        assert can_join_dispute(shop.buyer.pk, dispute.pk)
        assert can_join_dispute(shop.consultant.owner_id, dispute.pk)
        assert can_join_dispute(operator.pk, dispute.pk)
        assert not can_join_dispute(stranger.pk, dispute.pk)
        assert not can_join_dispute(shop.seller_one.owner_id, dispute.pk)
    with schema_context(tenant_a.schema_name):
        assert not can_join_dispute(shop.buyer.pk, dispute.pk)


def _png():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("photo.png", PNG)


def test_operators_set_the_days_and_new_disputes_use_them(shop, client_for):
    from core.disputes import services

    operator, _ = signed_in_operator(client_for, shop.tenant)
    saved = operator.post(
        "/operator/disputes/settings/",
        {"respond_days": "3", "claim_window_days": "30", "appeal_days": "10"},
    )
    assert saved.status_code == 302
    refused = operator.post(
        "/operator/disputes/settings/",
        {"respond_days": "0", "claim_window_days": "30", "appeal_days": "10"},
    )
    assert refused.status_code == 302
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    assert (
        buyer.post(
            "/operator/disputes/settings/",
            {"respond_days": "1", "claim_window_days": "1", "appeal_days": "1"},
        ).status_code
        == 403
    )
    with schema_context(shop.tenant.schema_name):
        config = services.dispute_settings()
        assert (config.respond_days, config.claim_window_days, config.appeal_days) == (3, 30, 10)
        line = buy(shop, shop.audit)
        dispute = services.open_dispute(
            user=shop.buyer, order_line_id=line.pk, kind="quality", reason="x"
        )
        assert round((dispute.respond_by - dispute.created_at).total_seconds() / 86400) == 3


def test_an_appeal_from_the_page_is_decided_on_the_page_by_another_operator(shop, client_for):
    from core.commerce.models import Payment
    from core.commerce.services.payment_events import on_dispute_opened
    from core.events import dispatch_pending

    first, _ = signed_in_operator(client_for, shop.tenant, "first-op@example.com")
    second, _ = signed_in_operator(client_for, shop.tenant, "second-op@example.com")
    with schema_context(shop.tenant.schema_name):
        line = buy(shop, shop.audit)
        from core.disputes import services

        dispute = services.open_dispute(
            user=shop.buyer, order_line_id=line.pk, kind="quality", reason="x"
        )
    act = f"/operator/disputes/{dispute.pk}/act/"
    first.post(act, {"action": "review"})
    first.post(
        act,
        {
            "action": "resolve",
            "resolution_type": "refund",
            "refund_to_buyer": "20.00",
            "release_to_seller": "70.00",
            "platform_compensation": "0",
        },
    )
    buyer = signed_in(client_for, shop.tenant, shop.buyer.email)
    page = buyer.get(f"/disputes/{dispute.pk}/").content.decode()
    assert "Appeal this decision" in page
    buyer.post(f"/disputes/{dispute.pk}/act/", {"action": "appeal", "text": "Too little"})
    own = first.get(f"/operator/disputes/{dispute.pk}/").content.decode()
    assert "another operator decides the appeal" in own
    first.post(act, {"action": "decide_appeal", "upheld": "no", "compensation": "10.00"})
    with schema_context(shop.tenant.schema_name):
        dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.APPEALED  # the first decider was refused
    assert "Decide the appeal" in second.get(f"/operator/disputes/{dispute.pk}/").content.decode()
    second.post(act, {"action": "decide_appeal", "upheld": "no", "compensation": "10.00"})
    with schema_context(shop.tenant.schema_name):
        dispute.refresh_from_db()
        assert dispute.status == DisputeStatus.CLOSED
        assert dispute.appeal_compensation == 1000
        line.refresh_from_db()
        assert line.refunded_amount == 3000
        # A chargeback on the order: the operator's page shows Stripe's evidence fields.
        payment = Payment.objects.get(order_id=line.order_id)
        on_dispute_opened(provider="sandbox", reference=payment.reference, event_id="evt_cb")
        dispatch_pending()
        chargeback = Dispute.objects.get(kind="chargeback")
    shown = second.get(f"/operator/disputes/{chargeback.pk}/").content.decode()
    assert "Stripe evidence fields" in shown and "customer_communication" in shown
