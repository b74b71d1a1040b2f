"""Delivery feedback is double-blind: each side's stays hidden from the other until both
gave theirs or 14 days passed; once per party, on completed orders only. The seller's stats
(completion and on-time rates, published ratings) come from aggregates. The buyer's feedback
counts in the seller's core rating exactly once, and only once it is visible (the seller
answered, or the window closed); removing it takes its stars back out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from core.reviews.models import ModuleRating
from core.reviews.services.module_ratings import count_module_rating, remove_module_rating
from core.sellers.models import Seller
from modules.gigs.models import GigFeedback, GigOrder
from modules.gigs.services import feedback
from modules.gigs.tests.helpers import (
    answers_for,
    buy,
    deliver_link,
    paying,
    seller_client,
    signed_in,
    sweep,
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


# --- the buyer's feedback feeds the seller's core rating, once, after the blind period --------


def _seller_rating(shop) -> tuple[int, int]:
    with schema_context(shop.tenant.schema_name):
        seller = Seller.objects.get(pk=shop.seller.pk)
        return seller.rating_count, seller.rating_total


def test_feedback_counts_in_the_sellers_rating_once_when_the_seller_answers(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    before = _seller_rating(shop)
    order = _completed(shop, client_for, django_capture_on_commit_callbacks, buyer, seller)
    # 5, 4, 5: a mean of 4.67, five whole stars.
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/feedback", FIVE).status_code == 200
    assert _seller_rating(shop) == before  # still blind: nothing counted
    assert sweep(shop.tenant, T0 + timedelta(days=1)).fired == 0

    answer = {"quality": 2, "communication": 2, "timeliness": 2}
    assert (
        call(seller, "post", f"/gigs/seller/orders/{order.pk}/feedback", answer).status_code == 200
    )
    counted = (before[0] + 1, before[1] + 5)
    assert _seller_rating(shop) == counted  # the seller's own feedback rates the buyer, not them
    # The window's deadline was cancelled: closing it later counts nothing again.
    sweep(shop.tenant, T0 + timedelta(days=30))
    with schema_context(shop.tenant.schema_name):
        assert feedback.publish_feedback(order_id=order.pk) is True  # idempotent
    assert _seller_rating(shop) == counted
    with schema_context(shop.tenant.schema_name):
        assert ModuleRating.objects.filter(source=feedback.RATING_SOURCE).count() == 1


def test_unanswered_feedback_counts_in_the_rating_only_after_14_days_and_leaves_if_removed(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    before = _seller_rating(shop)
    order = _completed(shop, client_for, django_capture_on_commit_callbacks, buyer, seller)
    low = {"quality": 3, "communication": 2, "timeliness": 2}  # 2.33: two stars
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/feedback", low).status_code == 200

    assert sweep(shop.tenant, T0 + timedelta(days=13, hours=23)).fired == 0
    assert _seller_rating(shop) == before
    with schema_context(shop.tenant.schema_name):
        order = GigOrder.objects.get(pk=order.pk)
        closes = feedback.window_closes_at(order)
    assert closes is not None
    time_machine.move_to(closes + timedelta(minutes=1), tick=False)
    assert sweep(shop.tenant, closes + timedelta(minutes=1)).fired == 1
    assert _seller_rating(shop) == (before[0] + 1, before[1] + 2)
    # A second sweep, or the deadline run again by a worker that died, counts nothing more.
    assert sweep(shop.tenant, closes + timedelta(hours=1)).fired == 0
    with schema_context(shop.tenant.schema_name):
        feedback.publish_feedback(order_id=order.pk)
    assert _seller_rating(shop) == (before[0] + 1, before[1] + 2)

    with schema_context(shop.tenant.schema_name):
        given = GigFeedback.objects.get(order=order, party="buyer")
        feedback.remove_feedback(feedback_id=given.pk)
        assert not ModuleRating.objects.exists()
    assert _seller_rating(shop) == before


def test_overall_stars_are_the_rounded_mean_of_the_three_dimensions():
    def stars(quality: int, communication: int, timeliness: int) -> int:
        return feedback.overall_stars(
            GigFeedback(quality=quality, communication=communication, timeliness=timeliness)
        )

    assert [stars(5, 5, 5), stars(5, 4, 5), stars(4, 4, 5), stars(3, 2, 2), stars(1, 1, 1)] == [
        5,
        5,
        4,
        2,
        1,
    ]


def test_module_ratings_count_once_and_remove_exactly_what_they_added(shop):
    with schema_context(shop.tenant.schema_name):
        seller = Seller.objects.get(pk=shop.seller.pk)
        start = (seller.rating_count, seller.rating_total)
        assert count_module_rating(source="gigs.feedback", key="x1", seller_id=seller.pk, stars=4)
        assert not count_module_rating(
            source="gigs.feedback", key="x1", seller_id=seller.pk, stars=4
        )
        seller.refresh_from_db()
        assert (seller.rating_count, seller.rating_total) == (start[0] + 1, start[1] + 4)
        assert remove_module_rating(source="gigs.feedback", key="x1")
        assert not remove_module_rating(source="gigs.feedback", key="x1")
        seller.refresh_from_db()
        assert (seller.rating_count, seller.rating_total) == start
        with pytest.raises(ValueError):
            count_module_rating(source="gigs.feedback", key="x2", seller_id=seller.pk, stars=6)
