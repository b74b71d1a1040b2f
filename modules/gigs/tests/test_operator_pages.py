"""The operator's gig orders page: counts by state, filters by state and lateness, finding
an order by its number or the buyer's e-mail, pages of 25; buyers and sellers are kept out
by the operator area's guard; another marketplace's orders are out of reach; the operator
nav links it (and the QC queue)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django_tenants.utils import schema_context

from modules.gigs.models import GigOrder
from modules.gigs.operator_pages import PER_PAGE
from modules.gigs.tests.helpers import (
    buy,
    make_gig_shop,
    make_gigs_tenant,
    seller_client,
    signed_in,
)
from tests.accounts_helpers import signed_in_operator

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _ids(body: str, orders) -> list[int]:
    return [order.pk for order in orders if f'data-gig-order="{order.pk}"' in body]


def test_operators_filter_and_find_gig_orders(
    shop, make_tenant, client_for, django_capture_on_commit_callbacks, time_machine
):
    capture = django_capture_on_commit_callbacks
    other = make_gig_shop(make_gigs_tenant(make_tenant, "other-gig-market"))
    time_machine.move_to(T0, tick=False)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    late = buy(buyer, shop.tenant, shop.other_gig, capture, tier="basic")  # clock runs: 3 days
    waiting = buy(buyer, shop.tenant, shop.gig, capture)
    other_buyer = signed_in(client_for, shop.tenant, shop.other_buyer)
    others = buy(other_buyer, shop.tenant, shop.gig, capture)
    everyone = [late, waiting, others]

    time_machine.move_to(T0 + timedelta(days=3, hours=2), tick=False)  # late, not very late
    operator, _ = signed_in_operator(client_for, shop.tenant)
    page = operator.get("/operator/gigs/")
    assert page.status_code == 200
    body = page.content.decode()
    assert _ids(body, everyone) == [late.pk, waiting.pk, others.pk]
    assert '<span data-count="In progress">1</span>' in body
    assert 'href="/operator/gigs/"' in operator.get("/operator/").content.decode()
    assert 'href="/operator/gigs/qc/"' in body  # the back-office nav

    assert _ids(operator.get("/operator/gigs/?late=late").content.decode(), everyone) == [late.pk]
    assert _ids(operator.get("/operator/gigs/?late=very_late").content.decode(), everyone) == []
    time_machine.move_to(T0 + timedelta(days=4, hours=1), tick=False)
    operator, _ = signed_in_operator(client_for, shop.tenant)  # a fresh session
    very = operator.get("/operator/gigs/?late=very_late").content.decode()
    assert _ids(very, everyone) == [late.pk] and "very late" in very
    status = operator.get("/operator/gigs/?status=awaiting_requirements").content.decode()
    assert _ids(status, everyone) == [waiting.pk, others.pk]
    by_number = operator.get(f"/operator/gigs/?q=%23{others.pk}").content.decode()
    assert _ids(by_number, everyone) == [others.pk]
    by_mail = operator.get("/operator/gigs/?q=Other-Buyer@example.com").content.decode()
    assert _ids(by_mail, everyone) == [others.pk]
    assert (
        "No gig orders match."
        in operator.get("/operator/gigs/?q=nobody@x.example").content.decode()
    )
    detail = operator.get(f"/operator/gigs/orders/{late.pk}/")
    assert detail.status_code == 200 and "Requirements sent" in detail.content.decode()

    # Another marketplace's operator sees none of these.
    other_operator, _ = signed_in_operator(client_for, other.tenant)
    theirs = other_operator.get("/operator/gigs/").content.decode()
    assert "No gig orders match." in theirs
    assert other_operator.get(f"/operator/gigs/orders/{late.pk}/").status_code == 404

    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    assert buyer.get("/operator/gigs/").status_code in (302, 403, 404)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    assert seller.get("/operator/gigs/").status_code in (302, 403, 404)
    assert seller.get(f"/operator/gigs/orders/{late.pk}/").status_code in (302, 403, 404)


def test_gig_orders_come_in_pages_with_the_filters_kept(
    shop, client_for, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    first = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        template = GigOrder.objects.get(pk=first.pk)
        copies = []
        for _ in range(PER_PAGE + 4):  # copies of the order on their own lines
            line = template.order_line
            line.pk = None
            line.save()
            clone = GigOrder.objects.get(pk=first.pk)
            clone.pk = None
            clone.order_line = line
            clone.save()
            copies.append(clone)
    operator, _ = signed_in_operator(client_for, shop.tenant)
    with django_assert_max_num_queries(20):
        one = operator.get("/operator/gigs/?status=awaiting_requirements").content.decode()
    assert one.count("data-gig-order=") == PER_PAGE
    assert "Page 1 of 2" in one and "page=2&amp;status=awaiting_requirements" in one
    with django_assert_max_num_queries(20):
        two = operator.get("/operator/gigs/?status=awaiting_requirements&page=2").content.decode()
    assert two.count("data-gig-order=") == 5 and f'data-gig-order="{first.pk}"' in two
