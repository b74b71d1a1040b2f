"""The hot reads do a fixed number of queries: the buyer's order (with every delivery, file,
revision and milestone) and the seller's queue do not grow with deliveries or orders."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from modules.gigs.tests.helpers import answers_for, buy, deliver_link, seller_client, signed_in
from tests.accounts_helpers import call


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call(client, "get", path)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


def _started(shop, client, capture):
    order = buy(client, shop.tenant, shop.gig, capture, tier="premium")
    answers = {"answers": answers_for(order)}
    assert call(client, "post", f"/gigs/orders/{order.pk}/requirements", answers).status_code == 200
    return order


def test_the_order_page_and_the_queue_do_not_grow_with_deliveries_or_orders(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = _started(shop, buyer, django_capture_on_commit_callbacks)
    assert deliver_link(seller, order).status_code == 200
    one_delivery = _queries(buyer, f"/gigs/orders/{order.pk}")
    one_order = _queries(seller, "/gigs/seller/orders")

    for number in range(3):  # premium: unlimited revisions
        notes = {"notes": f"Round {number}"}
        assert call(buyer, "post", f"/gigs/orders/{order.pk}/revisions", notes).status_code == 201
        assert deliver_link(seller, order).status_code == 200
    for _ in range(3):
        _started(shop, buyer, django_capture_on_commit_callbacks)

    assert len(call(buyer, "get", f"/gigs/orders/{order.pk}").json()["deliveries"]) == 4
    assert _queries(buyer, f"/gigs/orders/{order.pk}") == one_delivery
    assert len(call(seller, "get", "/gigs/seller/orders").json()) == 4
    assert _queries(seller, "/gigs/seller/orders") == one_order
    assert one_delivery <= 12, one_delivery
