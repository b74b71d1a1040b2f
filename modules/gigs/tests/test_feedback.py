"""Delivery feedback is double-blind: each side's stays hidden from the other until both
gave theirs or 14 days passed; once per party, on completed orders only. The seller's stats
(completion and on-time rates, published ratings) come from aggregates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from modules.gigs.tests.helpers import (
    answers_for,
    buy,
    deliver_link,
    paying,
    seller_client,
    signed_in,
)
from tests.accounts_helpers import call

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FIVE = {"quality": 5, "communication": 4, "timeliness": 5, "comment": "Lovely work"}


def _completed(shop, client_for, capture, buyer, seller):
    order = buy(buyer, shop.tenant, shop.gig, capture)
    answers = {"answers": answers_for(order)}
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", answers).status_code == 200
    assert deliver_link(seller, order).status_code == 200
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying()).status_code == 200
    return order


def test_feedback_is_double_blind_until_both_gave_it(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    early = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    refused = call(buyer, "post", f"/gigs/orders/{early.pk}/feedback", FIVE)
    assert refused.status_code == 409  # not completed
    order = _completed(shop, client_for, django_capture_on_commit_callbacks, buyer, seller)
    stats = f"/gigs/sellers/{shop.seller.pk}/stats"

    bad = call(buyer, "post", f"/gigs/orders/{order.pk}/feedback", {**FIVE, "quality": 6})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "quality"
    given = call(buyer, "post", f"/gigs/orders/{order.pk}/feedback", FIVE)
    assert given.status_code == 200, given.content
    assert [f["party"] for f in given.json()["feedback"]] == ["buyer"]  # one's own
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/feedback", FIVE).status_code == 409
    hidden = call(seller, "get", f"/gigs/seller/orders/{order.pk}").json()
    assert hidden["feedback"] == []
    assert call(buyer, "get", stats).json()["ratings_count"] == 0

    seller_says = {"quality": 4, "communication": 5, "timeliness": 5}
    answered = call(seller, "post", f"/gigs/seller/orders/{order.pk}/feedback", seller_says)
    assert answered.status_code == 200, answered.content
    assert [f["party"] for f in answered.json()["feedback"]] == ["buyer", "seller"]
    both = call(buyer, "get", f"/gigs/orders/{order.pk}").json()["feedback"]
    assert [(f["party"], f["quality"]) for f in both] == [("buyer", 5), ("seller", 4)]
    published = call(buyer, "get", stats).json()
    assert published["ratings_count"] == 1
    assert published["ratings"] == {"quality": 5.0, "communication": 4.0, "timeliness": 5.0}
    assert (published["completed"], published["completion_rate"]) == (1, 1.0)
    assert published["on_time_rate"] == 1.0


def test_unanswered_feedback_is_published_after_14_days_and_then_closed(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = _completed(shop, client_for, django_capture_on_commit_callbacks, buyer, seller)
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/feedback", FIVE).status_code == 200
    assert call(seller, "get", f"/gigs/seller/orders/{order.pk}").json()["feedback"] == []

    time_machine.move_to(T0 + timedelta(days=14, minutes=1), tick=False)
    # Sessions are shorter than the window: sign in again.
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    shown = call(seller, "get", f"/gigs/seller/orders/{order.pk}").json()["feedback"]
    assert [f["party"] for f in shown] == ["buyer"]
    late = call(seller, "post", f"/gigs/seller/orders/{order.pk}/feedback", FIVE)
    assert late.status_code == 409
    assert call(buyer, "get", f"/gigs/sellers/{shop.seller.pk}/stats").json()["ratings_count"] == 1
