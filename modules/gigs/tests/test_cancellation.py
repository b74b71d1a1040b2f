"""Mutual cancellation: one party asks with a reason, the other declines or accepts (a full
refund from escrow); nobody answers their own request; with no answer within the frozen
window (48 h) the order is cancelled as asked, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django_tenants.utils import schema_context

from core.commerce.models import Refund
from core.notifications.models import Notification
from modules.gigs.models import OrderStatus
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
from tests.commerce_helpers import ledger_totals

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_cancellation_is_declined_then_asked_again_and_accepted(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    answers = {"answers": answers_for(order)}
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", answers).status_code == 200
    assert deliver_link(seller, order).status_code == 200
    ask = f"/gigs/orders/{order.pk}/cancellation"
    answer = f"/gigs/seller/orders/{order.pk}/cancellation/answer"

    assert call(buyer, "post", ask, {"reason": " "}).status_code == 422
    asked = call(buyer, "post", ask, {"reason": "Plans changed"})
    assert asked.status_code == 200, asked.content
    assert asked.json()["cancellation_requested_by"] == "buyer"
    assert call(buyer, "post", ask, {"reason": "Again"}).status_code == 409
    own = call(buyer, "post", f"{ask}/answer", {"is_accepted": True}, **paying())
    assert own.status_code == 409
    other = seller_client(client_for, shop.tenant, shop.other_seller)
    assert call(other, "post", answer, {"is_accepted": True}).status_code == 404

    declined = call(seller, "post", answer, {"is_accepted": False}, **paying())
    assert declined.status_code == 200
    assert declined.json()["cancellation_requested_by"] == ""
    assert refreshed(shop.tenant, order).status == OrderStatus.DELIVERED

    assert call(buyer, "post", ask, {"reason": "Really, plans changed"}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        accepted = call(seller, "post", answer, {"is_accepted": True}, **paying())
    assert accepted.status_code == 200, accepted.content
    assert (accepted.json()["status"], accepted.json()["cancel_reason"]) == ("cancelled", "mutual")
    with schema_context(shop.tenant.schema_name):
        assert Refund.objects.get().amount == order.amount
        owner_notes = Notification.objects.filter(
            user_id=shop.seller.owner_id, type_key="gigs.cancellation_requested"
        ).count()
    assert owner_notes == 2  # both requests reached the seller
    assert set(ledger_totals(shop.tenant).values()) == {0}


def test_an_unanswered_cancellation_cancels_the_order_once_the_window_is_over(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    answers = {"answers": answers_for(order)}
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", answers).status_code == 200
    reason = {"reason": "I cannot take this on"}
    asked = call(seller, "post", f"/gigs/seller/orders/{order.pk}/cancellation", reason)
    assert asked.status_code == 200, asked.content
    with schema_context(shop.tenant.schema_name), django_capture_on_commit_callbacks(execute=True):
        from core.events import dispatch_pending

        dispatch_pending()
        # The seller asked: the buyer is the one told.
        assert (
            Notification.objects.filter(
                user=shop.buyer, type_key="gigs.cancellation_requested"
            ).count()
            == 1
        )

    assert sweep(shop.tenant, T0 + timedelta(hours=47)).fired == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(shop.tenant, T0 + timedelta(hours=48, minutes=1)).fired == 1
    cancelled = refreshed(shop.tenant, order)
    assert (cancelled.status, cancelled.cancel_reason) == (
        OrderStatus.CANCELLED,
        "mutual_no_answer",
    )
    assert sweep(shop.tenant, T0 + timedelta(days=30)).fired == 0
    with schema_context(shop.tenant.schema_name):
        assert Refund.objects.count() == 1
    assert set(ledger_totals(shop.tenant).values()) == {0}
