"""The seller's gig stats on their public profile (``/s/<slug>/``): on-time delivery,
completion rate, the median time to answer a buyer (last 90 days), and the buyers' published
delivery feedback per dimension. Three queries whatever the data; a figure shows only on
enough cases (the panel says so otherwise); nothing leaks from another marketplace, and
where the module is off there is no panel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django_tenants.utils import schema_context

from core.conversations.services.conversations import open_conversation
from core.conversations.services.messages import post_message
from modules.gigs import stats
from modules.gigs.models import GigOrder, OrderStatus
from modules.gigs.tests.helpers import (
    answers_for,
    buy,
    deliver_link,
    make_gig_shop,
    make_gigs_tenant,
    paying,
    seller_client,
    signed_in,
)
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import call, make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PROFILE_QUERIES = 20


def _started(shop, buyer, capture) -> GigOrder:
    order = buy(buyer, shop.tenant, shop.gig, capture)
    answers = {"answers": answers_for(order)}
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", answers).status_code == 200
    return order


def _finish(shop, buyer, seller, order: GigOrder, scores: dict[str, int] | None) -> None:
    delivered = deliver_link(seller, order)
    assert delivered.status_code == 200, delivered.content
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying()).status_code == 200
    if scores is not None:
        given = call(buyer, "post", f"/gigs/orders/{order.pk}/feedback", scores)
        assert given.status_code == 200, given.content
        # The seller answers: both gave theirs, so the buyer's is published.
        answer = {"quality": 5, "communication": 5, "timeliness": 5}
        path = f"/gigs/seller/orders/{order.pk}/feedback"
        assert call(seller, "post", path, answer).status_code == 200


def _record(shop, client_for, capture, time_machine) -> None:
    """Four completed orders (three delivered on time, one two days late), one cancelled;
    three with the buyer's feedback answered by the seller."""
    time_machine.move_to(T0, tick=False)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    scores = [
        {"quality": 5, "communication": 4, "timeliness": 5},
        {"quality": 4, "communication": 4, "timeliness": 3},
        {"quality": 3, "communication": 5, "timeliness": 4},
    ]
    for given in scores:
        _finish(shop, buyer, seller, _started(shop, buyer, capture), given)
    late = _started(shop, buyer, capture)
    cancelled = buy(buyer, shop.tenant, shop.gig, capture)
    with schema_context(shop.tenant.schema_name):
        GigOrder.objects.filter(pk=cancelled.pk).update(status=OrderStatus.CANCELLED)
    time_machine.move_to(T0 + timedelta(days=7), tick=False)  # the standard package: 5 days
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    _finish(shop, buyer, seller, late, None)


def _talk(shop, buyer_id: int, product_id: int | None, asked: datetime, wait: timedelta | None,
          time_machine: Any) -> None:  # fmt: skip
    with schema_context(shop.tenant.schema_name):
        time_machine.move_to(asked, tick=False)
        conversation = open_conversation(
            buyer_id=buyer_id, seller_id=shop.seller.pk, product_id=product_id
        )
        post_message(conversation_id=conversation.pk, sender_id=buyer_id, text="Hello, a question")
        if wait is not None:
            time_machine.move_to(asked + wait, tick=False)
            post_message(
                conversation_id=conversation.pk, sender_id=shop.seller.owner_id, text="Hi there"
            )
            # A later buyer message and answer do not change the first response time.
            post_message(conversation_id=conversation.pk, sender_id=buyer_id, text="Thanks")


def test_the_seller_profile_shows_on_time_completion_response_and_feedback(
    shop, client_for, django_capture_on_commit_callbacks, time_machine,
    django_assert_num_queries, django_assert_max_num_queries,
):  # fmt: skip
    _record(shop, client_for, django_capture_on_commit_callbacks, time_machine)
    now = T0 + timedelta(days=100)
    # Answered in 10 minutes, 30 minutes and 2 hours: a median of 30 minutes. A conversation
    # older than 90 days (answered in 5 days) and an unanswered one do not count.
    _talk(
        shop,
        shop.buyer.pk,
        shop.gig.pk,
        now - timedelta(days=3),
        timedelta(minutes=10),
        time_machine,
    )
    _talk(
        shop,
        shop.other_buyer.pk,
        shop.gig.pk,
        now - timedelta(days=2),
        timedelta(minutes=30),
        time_machine,
    )
    _talk(shop, shop.buyer.pk, None, now - timedelta(days=1), timedelta(hours=2), time_machine)
    _talk(shop, shop.other_buyer.pk, None, now - timedelta(hours=5), None, time_machine)
    third = make_user(shop.tenant, "third-buyer@example.com")
    _talk(shop, third.pk, None, now - timedelta(days=95), timedelta(days=5), time_machine)
    time_machine.move_to(now, tick=False)

    with schema_context(shop.tenant.schema_name):
        stats.gig_stats(seller_id=shop.seller.pk)  # the connection set to this schema first
        with django_assert_num_queries(3):
            found = stats.gig_stats(seller_id=shop.seller.pk)
    assert (found.orders, found.on_time, found.completion) == (
        5,
        stats.Figure(0.75, 4),
        stats.Figure(0.8, 5),
    )
    assert (found.response, found.response_sample) == (timedelta(minutes=30), 3)
    assert found.ratings == {"quality": 4.0, "communication": 4.3, "timeliness": 4.0}
    assert found.ratings_sample == 3

    visitor = client_for(shop.tenant)
    visitor.get("/s/studio/")
    with django_assert_max_num_queries(PROFILE_QUERIES):
        page = visitor.get("/s/studio/")
    body = page.content.decode()
    assert page.status_code == 200
    assert '<dd data-stat="on_time">75%<small> of 4 delivered orders' in body
    assert '<dd data-stat="completion">80%<small> of 5 finished orders' in body
    assert '<dd data-stat="response">30 minutes<small>' in body
    assert '<dd data-stat="communication">4.3 / 5<small> from 3 reviews' in body
    assert 'data-stat="not_enough"' not in body


def test_with_too_little_data_the_panel_says_so_and_a_seller_without_gig_orders_has_none(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = _started(shop, buyer, django_capture_on_commit_callbacks)
    _finish(shop, buyer, seller, order, {"quality": 1, "communication": 1, "timeliness": 1})
    visitor = client_for(shop.tenant)
    body = visitor.get("/s/studio/").content.decode()
    assert 'data-stat="not_enough"' in body and "data-gig-stats" in body
    assert 'data-stat="on_time"' not in body and 'data-stat="quality"' not in body
    assert "data-gig-stats" not in visitor.get("/s/pixel/").content.decode()


def test_stats_stay_in_their_marketplace_and_go_where_the_module_is_off(
    shop, make_tenant, client_for, django_capture_on_commit_callbacks, time_machine
):
    # Another marketplace with a seller of the same slug, no orders there.
    elsewhere = make_gig_shop(make_gigs_tenant(make_tenant, "other-gig-market"))
    _record(shop, client_for, django_capture_on_commit_callbacks, time_machine)
    assert 'data-stat="on_time"' in client_for(shop.tenant).get("/s/studio/").content.decode()

    there = client_for(elsewhere.tenant).get("/s/studio/")
    assert there.status_code == 200
    assert "data-gig-stats" not in there.content.decode()
    with schema_context(elsewhere.tenant.schema_name):
        assert stats.gig_stats(seller_id=elsewhere.seller.pk).orders == 0
        assert stats.gig_stats(seller_id=shop.seller.pk).orders == 0  # an id from elsewhere

    set_module_enabled(tenant=shop.tenant, key="gigs", is_enabled=False)
    gone = client_for(shop.tenant).get("/s/studio/")
    assert gone.status_code == 200 and "data-gig-stats" not in gone.content.decode()
