"""Delivered files are private: the buyer downloads them once delivered, the seller any time,
nobody else. Disputes: an open dispute freezes acceptance and auto-accept; a "revision"
decision reopens delivery while escrow holds the money (not counted against the cap), and
closes the order as settled when the decision already paid the escrow out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from core.accounts.models import Role
from core.disputes import services as disputes
from core.disputes.models import Dispute
from modules.gigs.hooks import dispute_resolved
from modules.gigs.models import OrderStatus, RevisionRequest
from modules.gigs.tests.helpers import (
    answers_for,
    buy,
    deliver_link,
    paying,
    refreshed,
    seller_client,
    signed_in,
    sweep,
)
from tests.accounts_helpers import call, make_user
from tests.commerce_helpers import ledger_totals

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CONTENT = b"%PDF-1.4 brand guide"


def _started(shop, client_for, capture):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    order = buy(buyer, shop.tenant, shop.gig, capture)
    answers = {"answers": answers_for(order)}
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", answers).status_code == 200
    return buyer, seller_client(client_for, shop.tenant, shop.seller), refreshed(shop.tenant, order)


def test_delivered_files_reach_the_buyer_once_delivered_and_nobody_else(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer, seller, order = _started(shop, client_for, django_capture_on_commit_callbacks)
    base = f"/gigs/seller/orders/{order.pk}/deliveries"
    draft = call(seller, "post", base, {"checklist_ticked": order.checklist}).json()
    uploaded = seller.post(
        f"/api/v1{base}/{draft['id']}/files",
        {"file": SimpleUploadedFile("guide.pdf", CONTENT, content_type="application/pdf")},
    )
    assert uploaded.status_code == 201, uploaded.content
    file_id = uploaded.json()["id"]
    buyer_path = f"/api/v1/gigs/orders/{order.pk}/files/{file_id}"
    seller_path = f"/api/v1/gigs/seller/orders/{order.pk}/files/{file_id}"

    assert buyer.get(buyer_path).status_code == 404  # a draft's file
    seen = seller.get(seller_path)
    assert seen.status_code == 200
    assert b"".join(seen.streaming_content) == CONTENT

    assert call(seller, "post", f"{base}/{draft['id']}/deliver").status_code == 200
    got = buyer.get(buyer_path)
    assert got.status_code == 200
    assert got["Cache-Control"] == "private, no-store"
    assert 'filename="guide.pdf"' in got["Content-Disposition"]
    assert b"".join(got.streaming_content) == CONTENT

    other_buyer = signed_in(client_for, shop.tenant, shop.other_buyer)
    assert other_buyer.get(buyer_path).status_code == 404
    other_seller = seller_client(client_for, shop.tenant, shop.other_seller)
    assert other_seller.get(seller_path).status_code == 404


def test_a_revision_decided_in_a_dispute_reopens_delivery_outside_the_cap(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    _, seller, order = _started(shop, client_for, django_capture_on_commit_callbacks)
    assert deliver_link(seller, order).status_code == 200

    with schema_context(shop.tenant.schema_name):
        # What core.disputes hands the hook once it decided "revision" (escrow still held).
        dispute_resolved(
            Dispute(order_line_id=order.order_line_id, resolution_note="Fix the colours")
        )
        revision = RevisionRequest.objects.get(order_id=order.pk)
    reopened = refreshed(shop.tenant, order)
    assert reopened.status == OrderStatus.REVISION_REQUESTED
    assert reopened.revisions_used == 0
    assert (revision.is_from_dispute, revision.notes) == (True, "Fix the colours")
    # Auto-accept stopped: only the very-late notice fires (the due date passed long ago).
    assert sweep(shop.tenant, T0 + timedelta(days=30)).fired == 1
    assert deliver_link(seller, order).status_code == 200
    assert refreshed(shop.tenant, order).status == OrderStatus.DELIVERED


def test_an_open_dispute_freezes_acceptance_and_a_decision_that_pays_out_closes_the_order(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    buyer, seller, order = _started(shop, client_for, django_capture_on_commit_callbacks)
    assert deliver_link(seller, order).status_code == 200
    with schema_context(shop.tenant.schema_name):
        dispute = disputes.open_dispute(
            user=shop.buyer, order_line_id=order.order_line_id, kind="quality", reason="Blurry"
        )
    refused = call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying())
    assert refused.status_code == 409
    assert refreshed(shop.tenant, order).status == OrderStatus.DELIVERED
    with django_capture_on_commit_callbacks(execute=True):
        sweep(shop.tenant, T0 + timedelta(days=3, minutes=1))  # auto-accept: frozen, waits
    assert refreshed(shop.tenant, order).status == OrderStatus.DELIVERED

    operator = make_user(shop.tenant, "op@example.com", role=Role.OPERATOR)
    with schema_context(shop.tenant.schema_name), django_capture_on_commit_callbacks(execute=True):
        decided = disputes.resolve(
            operator=operator,
            dispute_id=dispute.pk,
            resolution_type="revision",
            refund_to_buyer=0,
            release_to_seller=dispute.frozen_amount,
            platform_compensation=0,
            note="Seller keeps it; improve the contrast",
        )
    assert decided.status == "resolved"
    settled = refreshed(shop.tenant, order)
    assert settled.status == OrderStatus.COMPLETED
    assert set(ledger_totals(shop.tenant).values()) == {0}


def test_a_revision_decided_with_no_amounts_keeps_the_escrow_for_the_redelivery(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer, seller, order = _started(shop, client_for, django_capture_on_commit_callbacks)
    assert deliver_link(seller, order).status_code == 200
    operator = make_user(shop.tenant, "op@example.com", role=Role.OPERATOR)
    with schema_context(shop.tenant.schema_name):
        dispute = disputes.open_dispute(
            user=shop.buyer, order_line_id=order.order_line_id, kind="quality", reason="Blurry"
        )
        disputes.resolve(
            operator=operator,
            dispute_id=dispute.pk,
            resolution_type="revision",
            refund_to_buyer=0,
            release_to_seller=0,
            platform_compensation=0,
            note="Sharper, please",
        )
    reopened = refreshed(shop.tenant, order)
    assert (reopened.status, reopened.revisions_used) == (OrderStatus.REVISION_REQUESTED, 0)
    assert deliver_link(seller, order).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        accepted = call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying())
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "completed"
    assert [r["is_from_dispute"] for r in accepted.json()["revisions"]] == [True]
    assert set(ledger_totals(shop.tenant).values()) == {0}


def test_a_locked_file_opens_to_the_buyer_only_once_accepted_with_a_preview_meanwhile(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer, seller, order = _started(shop, client_for, django_capture_on_commit_callbacks)
    base = f"/gigs/seller/orders/{order.pk}/deliveries"
    draft = call(
        seller,
        "post",
        base,
        {"checklist_ticked": order.checklist, "preview_url": "https://cdn.example/wm.png"},
    ).json()
    uploaded = seller.post(
        f"/api/v1{base}/{draft['id']}/files",
        {
            "file": SimpleUploadedFile("final.ai", CONTENT, content_type="application/pdf"),
            "is_locked_until_accepted": "true",
        },
    )
    assert uploaded.status_code == 201, uploaded.content
    assert uploaded.json()["is_locked_until_accepted"] is True
    assert call(seller, "post", f"{base}/{draft['id']}/deliver").status_code == 200
    path = f"/api/v1/gigs/orders/{order.pk}/files/{uploaded.json()['id']}"

    locked = buyer.get(path)
    assert locked.status_code == 403
    assert locked.json()["error"]["code"] == "file_locked"
    page = buyer.get(f"/gigs/orders/{order.pk}/").content.decode()
    assert "unlocked when you accept" in page and "https://cdn.example/wm.png" in page
    assert (
        seller.get(
            f"/api/v1/gigs/seller/orders/{order.pk}/files/{uploaded.json()['id']}"
        ).status_code
        == 200
    )

    accepted = call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying())
    assert accepted.status_code == 200
    opened = buyer.get(path)
    assert opened.status_code == 200
    assert b"".join(opened.streaming_content) == CONTENT
