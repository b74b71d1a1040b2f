"""Delivered files are private: the buyer downloads them once delivered, the seller any time,
nobody else. Disputes: an open dispute freezes acceptance and auto-accept; a "revision"
decision reopens delivery while escrow holds the money (not counted against the cap), and
closes the order as settled when the decision already paid the escrow out."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pikepdf
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
from tests.accounts_helpers import call, make_user, signed_in_operator
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

    assert call(seller, "post", f"{base}/{draft['id']}/deliver", **paying()).status_code == 200
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
    assert call(seller, "post", f"{base}/{draft['id']}/deliver", **paying()).status_code == 200
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


def _png(width: int = 400, height: int = 300, colour=(40, 90, 160)) -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def _upload(seller, order, name, content, *, locked=False, content_type="application/pdf"):
    base = f"/gigs/seller/orders/{order.pk}/deliveries"
    draft = call(seller, "post", base, {"checklist_ticked": order.checklist}).json()
    form = {"file": SimpleUploadedFile(name, content, content_type=content_type)}
    if locked:
        form["is_locked_until_accepted"] = "true"
    return draft, seller.post(f"/api/v1{base}/{draft['id']}/files", form)


def test_uploads_are_judged_by_content_and_refusals_name_the_file(
    shop, client_for, django_capture_on_commit_callbacks
):
    _, seller, order = _started(shop, client_for, django_capture_on_commit_callbacks)
    refused = {
        "setup.exe": b"MZ\x90\x00" + b"\x00" * 64,  # a Windows program
        "logo.png": b"\x7fELF\x02\x01\x01" + b"\x00" * 64,  # a Linux program named .png
        "run.sh": b"#!/bin/sh\nrm -rf /\n",
        "notes.txt": b"#!/usr/bin/env python\nprint(1)\n",  # a script named .txt
        "blob.dat": bytes(range(256)) * 4,  # no type at all
    }
    for name, content in refused.items():
        _, answer = _upload(seller, order, name, content, content_type="image/png")
        assert answer.status_code == 422, (name, answer.content)
        error = answer.json()["error"]
        assert error["message"].startswith(f"{name}:"), error
        assert error["details"]["file"] == name
    assert (
        "cannot be delivered"
        in _upload(seller, order, "a.exe", b"MZ")[1].json()["error"]["message"]
    )

    _, png = _upload(seller, order, "logo.dat", _png(), content_type="application/x-evil")
    assert png.status_code == 201, png.content
    assert png.json()["content_type"] == "image/png"
    _, text = _upload(
        seller, order, "brief.md", "# Brief\nÜmlauts fine".encode(), content_type="text/plain"
    )
    assert text.status_code == 201, text.content
    assert text.json()["content_type"] == "text/markdown"


def test_the_marketplace_sets_the_largest_file(
    shop, client_for, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from tenants.services.modules import set_module_enabled

    with transaction.atomic():
        set_module_enabled(
            tenant=shop.tenant, key="gigs", is_enabled=True, config={"delivery_file_max_mb": 1}
        )
    _, seller, order = _started(shop, client_for, django_capture_on_commit_callbacks)
    big = CONTENT + b"\x00" * (1024 * 1024)
    _, answer = _upload(seller, order, "huge.pdf", big)
    assert answer.status_code == 413, answer.content
    assert answer.json()["error"]["message"] == "huge.pdf: a file may be at most 1 MB."
    assert _upload(seller, order, "small.pdf", CONTENT)[1].status_code == 201


def test_a_locked_image_gets_a_watermarked_preview_and_the_original_waits(
    shop, client_for, django_capture_on_commit_callbacks
):
    from io import BytesIO

    from PIL import Image

    from modules.gigs.models import GigDeliveryFile

    buyer, seller, order = _started(shop, client_for, django_capture_on_commit_callbacks)
    original = _png(colour=(40, 90, 160))
    draft, uploaded = _upload(seller, order, "final.png", original, locked=True)
    assert uploaded.status_code == 201, uploaded.content
    file_id = uploaded.json()["id"]
    base = f"/gigs/seller/orders/{order.pk}/deliveries"
    assert call(seller, "post", f"{base}/{draft['id']}/deliver", **paying()).status_code == 200
    with schema_context(shop.tenant.schema_name):
        stored = GigDeliveryFile.objects.get(pk=file_id)
        assert stored.preview and stored.preview_content_type == "image/png"
        with stored.preview.open("rb") as handle:
            preview = Image.open(BytesIO(handle.read())).convert("RGB")
    # The stamp is visible: many pixels differ from the flat picture, light and dark ones,
    # spread over the whole picture (diagonal bands reach every quarter).
    assert preview.size == (400, 300)
    pixels = list(preview.get_flattened_data())
    changed = [p for p in pixels if p != (40, 90, 160)]
    assert len(changed) > len(pixels) // 20
    assert any(sum(p) > sum((40, 90, 160)) + 150 for p in changed)  # the light letters
    for left, top in ((0, 0), (200, 0), (0, 150), (200, 150)):
        quarter = preview.crop((left, top, left + 200, top + 150)).get_flattened_data()
        assert any(p != (40, 90, 160) for p in quarter)

    locked = buyer.get(f"/api/v1/gigs/orders/{order.pk}/files/{file_id}")
    assert locked.status_code == 403
    assert "final.png" in locked.json()["error"]["message"]
    assert "see the preview" in locked.json()["error"]["message"]
    operator, _ = signed_in_operator(client_for, shop.tenant)
    shown = operator.get(f"/operator/gigs/files/{file_id}?preview=1")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert b"".join(shown.streaming_content) != original
    full = operator.get(f"/operator/gigs/files/{file_id}")
    assert b"".join(full.streaming_content) == original

    assert call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying()).status_code == 200
    opened = buyer.get(f"/api/v1/gigs/orders/{order.pk}/files/{file_id}")
    assert opened.status_code == 200 and b"".join(opened.streaming_content) == original


def _two_page_pdf() -> bytes:
    document = pikepdf.new()
    document.add_blank_page(page_size=(595, 842))
    document.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_locked_pdf_gets_a_stamped_first_page_preview_and_the_original_stays_locked(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer, seller, order = _started(shop, client_for, django_capture_on_commit_callbacks)
    original = _two_page_pdf()
    draft, uploaded = _upload(seller, order, "guide.pdf", original, locked=True)
    file_id = uploaded.json()["id"]
    base = f"/gigs/seller/orders/{order.pk}/deliveries"
    assert call(seller, "post", f"{base}/{draft['id']}/deliver", **paying()).status_code == 200

    locked = buyer.get(f"/api/v1/gigs/orders/{order.pk}/files/{file_id}")
    assert locked.status_code == 403
    answer = buyer.get(f"/api/v1/gigs/orders/{order.pk}/files/{file_id}/preview")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(b"".join(answer.streaming_content))) as preview:
        assert len(preview.pages) == 1  # the first page only, never the whole document
        stamp = b"".join(stream.read_bytes() for stream in _content_streams(preview.pages[0]))
    assert b"Preview" in stamp and b"Tj" in stamp  # drawn text, not metadata
    order_page = buyer.get(f"/gigs/orders/{order.pk}/").content.decode()
    assert f"/api/v1/gigs/orders/{order.pk}/files/{file_id}/preview" in order_page

    other_buyer = signed_in(client_for, shop.tenant, shop.other_buyer)
    preview_path = f"/api/v1/gigs/orders/{order.pk}/files/{file_id}/preview"
    assert other_buyer.get(preview_path).status_code == 404


def _content_streams(page: pikepdf.Page) -> list[pikepdf.Object]:
    contents = page.obj.Contents
    return list(contents) if isinstance(contents, pikepdf.Array) else [contents]


def test_files_reach_only_their_orders_people_and_marketplace(
    shop, make_tenant, client_for, django_capture_on_commit_callbacks
):
    from modules.gigs.tests.helpers import make_gig_shop, make_gigs_tenant

    other = make_gig_shop(make_gigs_tenant(make_tenant, "other-gig-market"))
    buyer, seller, order = _started(shop, client_for, django_capture_on_commit_callbacks)
    draft, uploaded = _upload(seller, order, "guide.pdf", CONTENT)
    file_id = uploaded.json()["id"]
    base = f"/gigs/seller/orders/{order.pk}/deliveries"
    assert call(seller, "post", f"{base}/{draft['id']}/deliver", **paying()).status_code == 200
    buyer_path = f"/api/v1/gigs/orders/{order.pk}/files/{file_id}"
    seller_path = f"/api/v1/gigs/seller/orders/{order.pk}/files/{file_id}"
    assert buyer.get(buyer_path).status_code == 200
    assert seller.get(seller_path).status_code == 200

    other_buyer = signed_in(client_for, shop.tenant, shop.other_buyer)
    assert other_buyer.get(buyer_path).status_code == 404
    other_seller = seller_client(client_for, shop.tenant, shop.other_seller)
    assert other_seller.get(seller_path).status_code == 404
    assert other_seller.get(f"/operator/gigs/files/{file_id}").status_code in (302, 403, 404)
    # The same ids in another marketplace: its people and its operator find nothing.
    elsewhere = signed_in(client_for, other.tenant, other.buyer)
    assert elsewhere.get(buyer_path).status_code == 404
    elsewhere_seller = seller_client(client_for, other.tenant, other.seller)
    assert elsewhere_seller.get(seller_path).status_code == 404
    elsewhere_operator, _ = signed_in_operator(client_for, other.tenant)
    assert elsewhere_operator.get(f"/operator/gigs/files/{file_id}").status_code == 404
