"""Deliveries, revisions and acceptance: a delivery needs a real artifact and the whole
checklist; revisions are capped by the package and extras; accepting releases escrow once;
auto-accept fires once, after its 48 h and 24 h reminders; another seller's order is 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from core.deadlines.models import Deadline, DeadlineStatus
from core.outbox.models import OutboxEvent
from core.payments import ledger
from core.payments.models import EntryKind, JournalEntry
from modules.gigs.models import GigDelivery, GigDeliveryFile, OrderStatus
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
from tests.accounts_helpers import call
from tests.commerce_helpers import account_balance, ledger_totals

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _started(shop, client_for, capture, *, extra_ids=None, tier="standard"):
    """The buyer bought ``tier`` and sent the requirements; (buyer, seller, order)."""
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    order = buy(buyer, shop.tenant, shop.gig, capture, tier=tier, extra_ids=extra_ids)
    response = call(
        buyer, "post", f"/gigs/orders/{order.pk}/requirements", {"answers": answers_for(order)}
    )
    assert response.status_code == 200, response.content
    return buyer, seller_client(client_for, shop.tenant, shop.seller), refreshed(shop.tenant, order)


def _releases(tenant) -> int:
    with schema_context(tenant.schema_name):
        return JournalEntry.objects.filter(kind=EntryKind.ESCROW_RELEASE).count()


def test_a_delivery_needs_a_real_artifact_and_the_whole_checklist(
    shop, client_for, django_capture_on_commit_callbacks
):
    _, seller, order = _started(shop, client_for, django_capture_on_commit_callbacks)
    base = f"/gigs/seller/orders/{order.pk}/deliveries"
    draft = call(seller, "post", base, {"description": "Work in progress"})
    assert draft.status_code == 201, draft.content
    delivery_id = draft.json()["id"]
    deliver = f"{base}/{delivery_id}/deliver"

    nothing = call(seller, "post", deliver, **paying())
    assert nothing.status_code == 422
    assert nothing.json()["error"]["code"] == "no_artifact"

    empty = seller.post(
        f"/api/v1{base}/{delivery_id}/files",
        {"file": SimpleUploadedFile("empty.zip", b"", content_type="application/zip")},
    )
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "no_artifact"
    assert call(seller, "post", deliver, **paying()).json()["error"]["code"] == "no_artifact"

    uploaded = seller.post(
        f"/api/v1{base}/{delivery_id}/files",
        {
            "file": SimpleUploadedFile(
                "logo.zip", b"PK\x03\x04 logo", content_type="application/zip"
            )
        },
    )
    assert uploaded.status_code == 201, uploaded.content
    assert uploaded.json()["size"] == 9
    unticked = call(seller, "post", deliver, **paying())
    assert unticked.status_code == 422
    assert unticked.json()["error"]["code"] == "checklist_incomplete"
    assert unticked.json()["error"]["details"]["missing"] == order.checklist

    ticked = call(
        seller,
        "put",
        f"{base}/{delivery_id}",
        {"description": "Final logo", "checklist_ticked": order.checklist},
    )
    assert ticked.status_code == 200, ticked.content
    delivered = call(seller, "post", deliver, **paying())
    assert delivered.status_code == 200, delivered.content
    body = delivered.json()
    assert body["status"] == "delivered"
    assert [(d["kind"], d["number"]) for d in body["deliveries"]] == [("final", 1)]
    with schema_context(shop.tenant.schema_name):
        stored = GigDeliveryFile.objects.get()
        assert stored.file.name.startswith(f"{shop.tenant.schema_name}/gigs/deliveries/")
        assert stored.file.read() == b"PK\x03\x04 logo"
    again = call(seller, "post", deliver, **paying())
    assert again.status_code == 409


def test_revisions_go_round_until_the_cap_and_accepting_releases_escrow_once(
    shop, client_for, django_capture_on_commit_callbacks
):
    # Basic: one revision; with the extra revision: two.
    buyer, seller, order = _started(
        shop,
        client_for,
        django_capture_on_commit_callbacks,
        tier="basic",
        extra_ids=[shop.extra_id("One more revision")],
    )
    assert order.revisions_allowed == 2
    revise = f"/gigs/orders/{order.pk}/revisions"
    assert call(buyer, "post", revise, {"notes": "Too early"}).status_code == 409

    for number in (1, 2):
        assert deliver_link(seller, order).status_code == 200
        response = call(buyer, "post", revise, {"notes": f"Change {number}"})
        assert response.status_code == 201, response.content
        assert response.json()["number"] == number
        assert refreshed(shop.tenant, order).status == OrderStatus.REVISION_REQUESTED
    # Working on the revision puts the order back in progress; delivering it resolves it.
    delivered = deliver_link(seller, order)
    assert delivered.status_code == 200
    assert [(d["kind"], d["number"]) for d in delivered.json()["deliveries"]] == [
        ("final", 1),
        ("revision", 2),
        ("revision", 3),
    ]
    assert all(r["resolved_at"] for r in delivered.json()["revisions"])

    beyond = call(buyer, "post", revise, {"notes": "One more"})
    assert beyond.status_code == 409
    assert beyond.json()["error"]["code"] == "revisions_exhausted"
    assert beyond.json()["error"]["details"]["options"] == [
        "accept",
        "buy_extra_revision",
        "open_dispute",
    ]
    assert refreshed(shop.tenant, order).revisions_used == 2

    seller_balance = account_balance(shop.tenant, ledger.seller_payable(shop.seller.pk))
    with django_capture_on_commit_callbacks(execute=True):
        accepted = call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying())
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "completed"
    with schema_context(shop.tenant.schema_name):
        from core.commerce.models import OrderLine

        line = OrderLine.objects.get(pk=order.order_line_id)
    # The seller's payable balance grows by the line's net (credits are negative).
    grown = seller_balance - account_balance(shop.tenant, ledger.seller_payable(shop.seller.pk))
    assert grown == line.seller_net
    assert line.status == "completed"
    twice = call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying())
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "wrong_state"
    assert _releases(shop.tenant) == 1
    assert set(ledger_totals(shop.tenant).values()) == {0}


def test_another_sellers_order_is_not_found(shop, client_for, django_capture_on_commit_callbacks):
    _, seller, order = _started(shop, client_for, django_capture_on_commit_callbacks)
    other = seller_client(client_for, shop.tenant, shop.other_seller)
    draft = call(seller, "post", f"/gigs/seller/orders/{order.pk}/deliveries", {"links": []})
    delivery_id = draft.json()["id"]
    for method, path, body in [
        ("get", f"/gigs/seller/orders/{order.pk}", None),
        ("post", f"/gigs/seller/orders/{order.pk}/deliveries", {"links": ["https://x.example"]}),
        ("put", f"/gigs/seller/orders/{order.pk}/deliveries/{delivery_id}", {"notes": "mine"}),
        ("post", f"/gigs/seller/orders/{order.pk}/deliveries/{delivery_id}/deliver", None),
    ]:
        response = call(other, method, path, body, **paying())
        assert response.status_code == 404, (path, response.content)
        assert response.json()["error"]["code"] == "order_not_found"
    assert call(other, "get", "/gigs/seller/orders").json() == []
    assert [row["id"] for row in call(seller, "get", "/gigs/seller/orders").json()] == [order.pk]
    with schema_context(shop.tenant.schema_name):
        assert GigDelivery.objects.get().notes == ""


def test_auto_accept_fires_once_after_reminders_48_and_24_hours_before(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    _, seller, order = _started(shop, client_for, django_capture_on_commit_callbacks)
    assert deliver_link(seller, order).status_code == 200
    auto_at = T0 + timedelta(days=3)  # the frozen policy's auto_accept_days
    assert refreshed(shop.tenant, order).auto_accept_at == auto_at

    def reminders() -> list[int]:
        with schema_context(shop.tenant.schema_name):
            rows = OutboxEvent.objects.filter(event_type="gig.auto_accept_soon").order_by("id")
            return [row.payload["hours"] for row in rows]

    assert sweep(shop.tenant, auto_at - timedelta(hours=49)).fired == 0
    assert sweep(shop.tenant, auto_at - timedelta(hours=48)).fired == 1
    assert reminders() == [48]
    assert sweep(shop.tenant, auto_at - timedelta(hours=24)).fired == 1
    assert reminders() == [48, 24]
    assert refreshed(shop.tenant, order).status == OrderStatus.DELIVERED
    assert _releases(shop.tenant) == 0

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(shop.tenant, auto_at).fired == 1
    done = refreshed(shop.tenant, order)
    assert (done.status, done.is_auto_accepted) == (OrderStatus.COMPLETED, True)
    assert _releases(shop.tenant) == 1
    assert sweep(shop.tenant, auto_at + timedelta(days=30)).fired == 0
    assert _releases(shop.tenant) == 1
    with schema_context(shop.tenant.schema_name):
        statuses = set(
            Deadline.objects.filter(key__startswith=f"gigs:order:{order.pk}:auto").values_list(
                "status", flat=True
            )
        )
    assert statuses == {DeadlineStatus.FIRED}
    assert set(ledger_totals(shop.tenant).values()) == {0}


def test_a_revision_request_stops_the_auto_accept_of_the_delivery_before_it(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    buyer, seller, order = _started(shop, client_for, django_capture_on_commit_callbacks)
    assert deliver_link(seller, order).status_code == 200
    time_machine.move_to(T0 + timedelta(days=1), tick=False)
    assert (
        call(buyer, "post", f"/gigs/orders/{order.pk}/revisions", {"notes": "Bigger"}).status_code
        == 201
    )
    # Only the very-late notice fires (due +5 days, +24 h): no auto-accept.
    assert sweep(shop.tenant, T0 + timedelta(days=10)).fired == 1
    with schema_context(shop.tenant.schema_name):
        assert OutboxEvent.objects.filter(event_type="gig.very_late").count() == 1
    assert refreshed(shop.tenant, order).status == OrderStatus.REVISION_REQUESTED
    assert _releases(shop.tenant) == 0


def test_accepting_needs_an_idempotency_key_and_a_replay_answers_the_first_time_again(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer, seller, order = _started(shop, client_for, django_capture_on_commit_callbacks)
    assert deliver_link(seller, order).status_code == 200
    path = f"/gigs/orders/{order.pk}/accept"
    missing = call(buyer, "post", path)
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "idempotency_key_required"
    assert refreshed(shop.tenant, order).status == OrderStatus.DELIVERED

    key = {"Idempotency-Key": "accept-once"}
    first = call(buyer, "post", path, **key)
    assert first.status_code == 200, first.content
    again = call(buyer, "post", path, **key)
    assert (again.status_code, again["Idempotent-Replayed"]) == (200, "true")
    assert again.json() == first.json()
    assert _releases(shop.tenant) == 1


def test_the_split_services_stay_importable_from_deliveries():
    """Other parts import the delivery services from ``services.deliveries``: the split into
    submissions, revisions, acceptance (and QC) keeps each name there, the same object."""
    from modules.gigs.services import acceptance, deliveries, revisions, submissions

    assert deliveries.deliver is submissions.deliver
    assert deliveries.attach_file is submissions.attach_file
    assert deliveries.save_draft is submissions.save_draft
    assert deliveries.request_revision is revisions.request_revision
    assert deliveries.reopen_after_dispute is revisions.reopen_after_dispute
    assert deliveries.accept is acceptance.accept
    assert deliveries.auto_accept is acceptance.auto_accept
    assert deliveries.remind_auto_accept is acceptance.remind_auto_accept
    assert deliveries.DraftData is submissions.DraftData
