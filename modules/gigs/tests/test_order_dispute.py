"""A gig order with an open dispute: its page says the payment waits for the decision and
offers no accept or revision buttons (the escrow is frozen), links to the dispute, and shows
the buttons again once the dispute is decided."""

from __future__ import annotations

from django_tenants.utils import schema_context

from core.accounts.models import Role
from core.disputes import services
from modules.gigs.tests.helpers import (
    answers_for,
    buy,
    deliver_link,
    make_gig_shop,
    make_gigs_tenant,
    refreshed,
    seller_client,
    signed_in,
)
from tests.accounts_helpers import call, make_user


def test_an_open_dispute_holds_the_order_page_until_it_is_decided(
    make_tenant, client_for, django_capture_on_commit_callbacks
):
    shop = make_gig_shop(make_gigs_tenant(make_tenant))
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    answers = {"answers": answers_for(order)}
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", answers).status_code == 200
    seller = seller_client(client_for, shop.tenant, shop.seller)
    assert deliver_link(seller, refreshed(shop.tenant, order)).status_code == 200
    page = buyer.get(f"/gigs/orders/{order.pk}/").content.decode()
    assert "Accept and pay the seller" in page and "Accepted for you on" in page
    assert "data-dispute=" not in page

    with schema_context(shop.tenant.schema_name):
        dispute = services.open_dispute(
            user=shop.buyer, order_line_id=order.order_line_id, kind="quality", reason="Blurry"
        )
    page = buyer.get(f"/gigs/orders/{order.pk}/").content.decode()
    assert f'data-dispute="{dispute.pk}"' in page
    assert f'href="/disputes/{dispute.pk}/"' in page
    assert "Accept and pay the seller" not in page and "Accepted for you on" not in page

    operator = make_user(shop.tenant, "op@example.com", role=Role.OPERATOR)
    with schema_context(shop.tenant.schema_name):
        services.resolve(
            operator=operator,
            dispute_id=dispute.pk,
            resolution_type="revision",
            refund_to_buyer=0,
            release_to_seller=0,
            platform_compensation=0,
            note="Sharpen the edges",
        )
    page = buyer.get(f"/gigs/orders/{order.pk}/").content.decode()
    assert "data-dispute=" not in page
    assert "Revision 1 asked (decided in a dispute)" in page  # delivery reopened
