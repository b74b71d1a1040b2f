"""The operator's gig orders page: counts by state, past-due orders first; buyers and
sellers are kept out by the operator area's guard; the operator nav links it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from modules.gigs.tests.helpers import buy, seller_client, signed_in
from tests.accounts_helpers import signed_in_operator

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_operators_see_gig_orders_with_the_late_ones_first(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    late = buy(buyer, shop.tenant, shop.other_gig, django_capture_on_commit_callbacks, tier="basic")
    waiting = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    time_machine.move_to(T0 + timedelta(days=4, hours=1), tick=False)

    operator, _ = signed_in_operator(client_for, shop.tenant)
    page = operator.get("/operator/gigs/")
    assert page.status_code == 200
    body = page.content.decode()
    past_due, recent = body.split("<h2>Recent</h2>")
    assert f'data-gig-order="{late.pk}"' in past_due and "very late" in past_due
    assert f'data-gig-order="{waiting.pk}"' not in past_due
    assert f'data-gig-order="{waiting.pk}"' in recent
    assert '<dd data-count="In progress">1</dd>' in body
    assert 'href="/operator/gigs/"' in operator.get("/operator/").content.decode()

    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    assert buyer.get("/operator/gigs/").status_code in (302, 403, 404)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    assert seller.get("/operator/gigs/").status_code in (302, 403, 404)
