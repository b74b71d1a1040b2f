"""A seller's custom offer in milestones, each funded in escrow: the buyer pays the first at
checkout; each later one is its own payment, funded when the previous one is accepted (or
earlier); a milestone's work starts only once funded (delivering against an unfunded one is
refused); acceptance releases that milestone's escrow once; a part may be released early by
an agreed percentage; cancelling refunds only funded, unreleased milestones. The books
balance after every step. Another seller's gig, another buyer's order, another marketplace
and a marketplace without the module reach nothing."""

from __future__ import annotations

from typing import Any

from django_tenants.utils import schema_context

from core.commerce.models import CustomOffer, OfferStatus, OrderLine, Refund
from core.events import dispatch_pending
from core.payments import ledger
from modules.gigs.models import GigOrder, OrderStatus
from modules.gigs.tests.helpers import (
    answers_for,
    deliver_link,
    make_gig_shop,
    make_gigs_tenant,
    paying,
    refreshed,
    seller_client,
    signed_in,
)
from tests.accounts_helpers import call, make_user
from tests.commerce_helpers import account_balance, checkout, ledger_totals

PLAN = [
    {"title": "Research", "amount": 3000, "days": 2, "description": "Interviews"},
    {"title": "Design", "amount": 5000, "days": 4},
    {"title": "Hand-off", "amount": 2000, "days": 1},
]


def offer_body(shop: Any, **changes: Any) -> dict[str, Any]:
    return {
        "product_id": shop.gig.pk,
        "buyer_email": shop.buyer.email,
        "title": "Brand identity",
        "description": "Everything for the launch",
        "milestones": PLAN,
        **changes,
    }


def pay_offer(client: Any, tenant: Any, offer_id: int, capture: Any) -> int:
    """The buyer puts the offer in the cart and checks out; returns the commerce order id."""
    added = call(client, "post", "/cart/offers", {"offer_id": offer_id})
    assert added.status_code == 200, added.content
    with capture(execute=True):
        response = checkout(client)
    assert response.status_code == 201, response.content
    with schema_context(tenant.schema_name):
        dispatch_pending()
    return int(response.json()["id"])


def milestone_order(shop: Any, buyer: Any, seller: Any, capture: Any) -> GigOrder:
    sent = call(seller, "post", "/gigs/seller/offers", offer_body(shop))
    assert sent.status_code == 201, sent.content
    assert (sent.json()["amount"], sent.json()["total"]) == (3000, 10000)
    order_id = pay_offer(buyer, shop.tenant, sent.json()["offer_id"], capture)
    with schema_context(shop.tenant.schema_name):
        order = GigOrder.objects.get(order_line__order_id=order_id)
    answers = {"answers": answers_for(order)}
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", answers).status_code == 200
    return order


def _payable(shop: Any) -> int:
    return -account_balance(shop.tenant, ledger.seller_payable(shop.seller.pk))


def _held(shop: Any, line_id: int, currency: str) -> int:
    with schema_context(shop.tenant.schema_name):
        return -ledger.balance(ledger.escrow(line_id), currency).amount


def _balanced(shop: Any) -> None:
    assert set(ledger_totals(shop.tenant).values()) == {0}


def _line(shop: Any, line_id: int) -> OrderLine:
    with schema_context(shop.tenant.schema_name):
        return OrderLine.objects.get(pk=line_id)


def _fund(buyer: Any, shop: Any, order: GigOrder, number: int, capture: Any) -> int:
    funded = call(buyer, "post", f"/gigs/orders/{order.pk}/milestones/{number}/fund")
    assert funded.status_code == 201, funded.content
    pay_offer(buyer, shop.tenant, funded.json()["offer_id"], capture)
    with schema_context(shop.tenant.schema_name):
        return int(OrderLine.objects.get(offer_id=funded.json()["offer_id"]).pk)


def test_each_milestone_is_funded_before_its_work_and_released_once_on_acceptance(
    shop, client_for, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = milestone_order(shop, buyer, seller, capture)
    got = call(buyer, "get", f"/gigs/orders/{order.pk}").json()
    assert (got["amount"], got["milestone_funding"], got["completion_percent"]) == (
        10000,
        "per_milestone",
        0,
    )
    assert [(m["status"], m["is_funded"]) for m in got["milestones"]] == [
        ("in_progress", True),
        ("pending", False),
        ("pending", False),
    ]
    assert [m["amount"] for m in got["milestones"]] == [3000, 5000, 2000]
    first_line = order.order_line_id
    net_1 = _line(shop, first_line).seller_net
    assert _held(shop, first_line, order.currency) == net_1
    _balanced(shop)

    # Milestone 1: delivered, accepted: its escrow goes to the seller, once.
    payable = _payable(shop)
    assert deliver_link(seller, order).status_code == 200
    key = paying()
    accepted = call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **key)
    assert accepted.status_code == 200, accepted.content
    assert _payable(shop) - payable == net_1
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **key).json() == accepted.json()
    assert _payable(shop) - payable == net_1  # the replay moved nothing
    body = accepted.json()
    assert body["status"] == "in_progress"
    assert [m["status"] for m in body["milestones"]] == ["completed", "pending", "pending"]
    assert body["completion_percent"] == 30
    _balanced(shop)

    # Milestone 2 is not funded: its work cannot be delivered.
    refused = deliver_link(seller, order)
    assert refused.status_code == 409, refused.content
    assert "not funded" in refused.json()["error"]["message"]
    assert refused.json()["error"]["details"]["milestone"] == 2

    # Funding 2 (a real payment, held in escrow) starts its work.
    second_line = _fund(buyer, shop, order, 2, capture)
    assert _line(shop, second_line).total == 5000
    net_2 = _line(shop, second_line).seller_net
    assert _held(shop, second_line, order.currency) == net_2
    got = call(buyer, "get", f"/gigs/orders/{order.pk}").json()
    assert [(m["status"], m["is_funded"]) for m in got["milestones"]] == [
        ("completed", True),
        ("in_progress", True),
        ("pending", False),
    ]
    again = call(buyer, "post", f"/gigs/orders/{order.pk}/milestones/2/fund")
    assert again.status_code == 409  # funded already
    _balanced(shop)

    # An agreed 40 % of milestone 2 released early, once; acceptance releases the rest.
    payable = _payable(shop)
    part = call(buyer, "post", f"/gigs/orders/{order.pk}/release", {"percent": 40}, **paying())
    assert part.status_code == 200, part.content
    assert part.json()["released"] == net_2 * 40 // 100
    assert _payable(shop) - payable == net_2 * 40 // 100
    twice = call(buyer, "post", f"/gigs/orders/{order.pk}/release", {"percent": 10}, **paying())
    assert twice.status_code == 409
    _balanced(shop)
    assert deliver_link(seller, order).status_code == 200
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying()).status_code == 200
    assert _payable(shop) - payable == net_2
    assert _held(shop, second_line, order.currency) == 0
    _balanced(shop)

    # Funded early (before delivering 2 would also do): 3 starts at once, the last closes.
    third_line = _fund(buyer, shop, order, 3, capture)
    assert deliver_link(seller, order).status_code == 200
    done = call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying()).json()
    assert (done["status"], done["completion_percent"]) == ("completed", 100)
    assert _held(shop, third_line, order.currency) == 0
    assert _held(shop, first_line, order.currency) == 0
    _balanced(shop)


def test_funding_the_next_milestone_early_starts_it_as_soon_as_the_previous_is_accepted(
    shop, client_for, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = milestone_order(shop, buyer, seller, capture)
    _fund(buyer, shop, order, 2, capture)
    got = call(buyer, "get", f"/gigs/orders/{order.pk}").json()
    assert [m["status"] for m in got["milestones"]] == ["in_progress", "pending", "pending"]
    assert got["milestones"][1]["is_funded"] is True
    assert deliver_link(seller, order).status_code == 200
    accepted = call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying()).json()
    assert [m["status"] for m in accepted["milestones"]] == ["completed", "in_progress", "pending"]
    assert deliver_link(seller, order).status_code == 200  # funded: deliverable
    _balanced(shop)


def test_cancelling_refunds_only_funded_unreleased_milestones(
    shop, client_for, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = milestone_order(shop, buyer, seller, capture)
    assert deliver_link(seller, order).status_code == 200
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying()).status_code == 200
    second_line = _fund(buyer, shop, order, 2, capture)
    unpaid = call(buyer, "post", f"/gigs/orders/{order.pk}/milestones/3/fund").json()

    asked = call(seller, "post", f"/gigs/seller/orders/{order.pk}/cancellation", {"reason": "Ill"})
    assert asked.status_code == 200, asked.content
    key = paying()
    answer = f"/gigs/orders/{order.pk}/cancellation/answer"
    with capture(execute=True):
        answered = call(buyer, "post", answer, {"is_accepted": True}, **key)
    assert answered.status_code == 200, answered.content
    assert answered.json()["status"] == "cancelled"
    replay = call(buyer, "post", answer, {"is_accepted": True}, **key)
    assert replay.json() == answered.json()  # answered once, refunded once
    with schema_context(shop.tenant.schema_name):
        refunds = list(Refund.objects.values_list("amount", flat=True))
        assert CustomOffer.objects.get(pk=unpaid["offer_id"]).status == OfferStatus.WITHDRAWN
    assert refunds == [5000]  # milestone 2 only: 1 was released, 3 never funded
    assert _held(shop, second_line, order.currency) == 0
    assert refreshed(shop.tenant, order).status == OrderStatus.CANCELLED
    _balanced(shop)


def test_a_part_released_early_is_not_refunded_on_cancellation(
    shop, client_for, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = milestone_order(shop, buyer, seller, capture)
    part = call(buyer, "post", f"/gigs/orders/{order.pk}/release", {"percent": 50}, **paying())
    assert part.status_code == 200, part.content
    assert (
        call(buyer, "post", f"/gigs/orders/{order.pk}/cancellation", {"reason": "x"}).status_code
        == 200
    )
    with capture(execute=True):
        answered = call(
            seller,
            "post",
            f"/gigs/seller/orders/{order.pk}/cancellation/answer",
            {"is_accepted": True},
            **paying(),
        )
    assert answered.status_code == 200, answered.content
    with schema_context(shop.tenant.schema_name):
        refund = Refund.objects.get()
    assert refund.amount == 3000 // 2
    assert _held(shop, order.order_line_id, order.currency) == 0
    _balanced(shop)


def test_offers_and_funding_are_refused_where_they_do_not_belong(
    shop, client_for, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    other_seller = seller_client(client_for, shop.tenant, shop.other_seller)
    offers = "/gigs/seller/offers"
    one = call(seller, "post", offers, offer_body(shop, milestones=PLAN[:1]))
    assert (one.status_code, one.json()["error"]["details"]["field"]) == (422, "milestones")
    free = [{**PLAN[0], "amount": 0}, PLAN[1]]
    zero = call(seller, "post", offers, offer_body(shop, milestones=free))
    assert zero.json()["error"]["details"]["field"] == "milestones[0].amount"
    assert call(other_seller, "post", offers, offer_body(shop)).status_code == 404  # not theirs
    nobody = call(seller, "post", offers, offer_body(shop, buyer_email="nobody@example.com"))
    assert nobody.status_code == 422

    order = milestone_order(shop, buyer, seller, capture)
    other_buyer = signed_in(client_for, shop.tenant, shop.other_buyer)
    fund = f"/gigs/orders/{order.pk}/milestones/2/fund"
    assert call(other_buyer, "post", fund).status_code == 404
    assert (
        call(
            other_buyer, "post", f"/gigs/orders/{order.pk}/release", {"percent": 5}, **paying()
        ).status_code
        == 404
    )
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/milestones/9/fund").status_code == 404
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/milestones/1/fund").status_code == 409
    bad = call(buyer, "post", f"/gigs/orders/{order.pk}/release", {"percent": 100}, **paying())
    assert bad.status_code == 422
    # The share-based plan is not offered on a funded order.
    shares = {"milestones": [{"title": "A", "percent": 50, "days": 1}] * 2}
    plan = call(seller, "put", f"/gigs/seller/orders/{order.pk}/milestones", shares)
    assert plan.status_code == 409
    # An ordinary order has no milestones to fund.
    from modules.gigs.tests.helpers import buy

    plain = buy(buyer, shop.tenant, shop.gig, capture)
    assert call(buyer, "post", f"/gigs/orders/{plain.pk}/milestones/2/fund").status_code == 409
    _balanced(shop)


def test_milestone_offers_stay_in_their_marketplace_and_are_gone_where_the_module_is_off(
    shop, make_tenant, client_for, django_capture_on_commit_callbacks
):
    other = make_gig_shop(make_gigs_tenant(make_tenant, "other-gig-market"))
    off = make_tenant("no-gigs-market", modules=[]).tenant
    make_user(off, "buyer@example.com")
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = milestone_order(shop, buyer, seller, django_capture_on_commit_callbacks)
    other_buyer = signed_in(client_for, other.tenant, other.buyer)
    other_seller = seller_client(client_for, other.tenant, other.seller)
    assert (
        call(other_buyer, "post", f"/gigs/orders/{order.pk}/milestones/2/fund").status_code == 404
    )
    missing = max(shop.gig.pk, other.gig.pk, other.other_gig.pk) + 1
    body = {**offer_body(shop), "product_id": missing, "buyer_email": other.buyer.email}
    assert call(other_seller, "post", "/gigs/seller/offers", body).status_code == 404

    off_client = client_for(off)
    call(off_client, "post", "/auth/login", {"email": "buyer@example.com", "password": "x"})
    assert call(off_client, "post", f"/gigs/orders/{order.pk}/milestones/2/fund").status_code == 404
    assert call(off_client, "post", "/gigs/seller/offers", offer_body(shop)).status_code == 404
