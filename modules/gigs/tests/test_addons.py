"""Out of revisions, the buyer buys an extra one: an offer through the one checkout; once
paid the order's cap grows, and the add-on's escrow follows the order (released with its
acceptance). Unlimited orders and gigs without the extra refuse."""

from __future__ import annotations

from django_tenants.utils import schema_context

from core.commerce.models import OrderLine
from core.payments import ledger
from modules.gigs.models import GigAddon
from modules.gigs.tests.helpers import (
    answers_for,
    buy,
    deliver_link,
    paying,
    refreshed,
    seller_client,
    signed_in,
)
from tests.accounts_helpers import call
from tests.commerce_helpers import account_balance, checkout, ledger_totals


def test_an_extra_revision_bought_after_the_cap_is_paid_out_with_the_order(
    shop, client_for, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = buy(buyer, shop.tenant, shop.gig, capture, tier="basic")  # one revision
    answers = {"answers": answers_for(order)}
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", answers).status_code == 200
    revise = f"/gigs/orders/{order.pk}/revisions"
    assert deliver_link(seller, order).status_code == 200
    assert call(buyer, "post", revise, {"notes": "One"}).status_code == 201
    assert deliver_link(seller, order).status_code == 200
    assert call(buyer, "post", revise, {"notes": "Two"}).status_code == 409

    bought = call(buyer, "post", f"/gigs/orders/{order.pk}/extra-revisions")
    assert bought.status_code == 201, bought.content
    assert (bought.json()["amount"], bought.json()["revisions"]) == (1000, 1)
    added = call(buyer, "post", "/cart/offers", {"offer_id": bought.json()["offer_id"]})
    assert added.status_code == 200, added.content
    with capture(execute=True):
        assert checkout(buyer).status_code == 201
    assert refreshed(shop.tenant, order).revisions_allowed == 2
    with schema_context(shop.tenant.schema_name):
        addon_line = OrderLine.objects.get(gig_addon__order_id=order.pk)
        assert GigAddon.objects.get().paid_at is not None
    assert call(buyer, "post", revise, {"notes": "Two"}).status_code == 201

    payable = account_balance(shop.tenant, ledger.seller_payable(shop.seller.pk))
    assert deliver_link(seller, order).status_code == 200
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying()).status_code == 200
    with schema_context(shop.tenant.schema_name):
        main_net = OrderLine.objects.get(pk=order.order_line_id).seller_net
    grown = payable - account_balance(shop.tenant, ledger.seller_payable(shop.seller.pk))
    assert grown == main_net + addon_line.seller_net
    assert account_balance(shop.tenant, ledger.escrow(addon_line.pk)) == 0
    assert set(ledger_totals(shop.tenant).values()) == {0}


def test_unlimited_orders_and_gigs_without_the_extra_refuse_it(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    premium = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks, tier="premium")
    unlimited = call(buyer, "post", f"/gigs/orders/{premium.pk}/extra-revisions")
    assert unlimited.status_code == 409
    icons = buy(
        buyer, shop.tenant, shop.other_gig, django_capture_on_commit_callbacks, tier="basic"
    )
    none = call(buyer, "post", f"/gigs/orders/{icons.pk}/extra-revisions")
    assert none.status_code == 422
    other = signed_in(client_for, shop.tenant, shop.other_buyer)
    assert call(other, "post", f"/gigs/orders/{icons.pk}/extra-revisions").status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert not GigAddon.objects.exists()


def test_an_extra_revision_left_unpaid_cannot_be_bought_once_the_order_is_accepted(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks, tier="basic")
    answers = {"answers": answers_for(order)}
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", answers).status_code == 200
    assert deliver_link(seller, order).status_code == 200
    offer_id = call(buyer, "post", f"/gigs/orders/{order.pk}/extra-revisions").json()["offer_id"]
    assert call(buyer, "post", "/cart/offers", {"offer_id": offer_id}).status_code == 200
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying()).status_code == 200

    refused = checkout(buyer)
    assert refused.status_code in (409, 422), refused.content
    with schema_context(shop.tenant.schema_name):
        assert GigAddon.objects.get().order_line_id is None
    assert set(ledger_totals(shop.tenant).values()) == {0}
