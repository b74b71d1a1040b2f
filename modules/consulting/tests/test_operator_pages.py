"""The operator's consulting page: bookings across consultants filtered by state,
consultant and dates, in pages of 25; counts by state, the weekly chart, cancellations,
refunds and no-shows; one booking read-only; the bounds on consultants saved through the
module settings with errors beside the fields. Buyers and sellers are kept out, another
marketplace's bookings are out of reach and the module off means 404."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django_tenants.utils import schema_context

from core.accounts.models import User
from modules.consulting.manifest import manifest
from modules.consulting.models import Booking, ConsultantProfile, new_ical_uid, new_room
from modules.consulting.operator_pages import PER_PAGE
from modules.consulting.services.cancellation import cancel_by_consultant
from modules.consulting.tests.helpers import (
    free,
    hold,
    make_consulting,
    make_consulting_tenant,
    make_session_type,
    pay,
    refreshed,
)
from modules.consulting.tests.test_studio_calendar import signed_in
from tenants.models import Tenant
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import signed_in_operator

PAGE = "/operator/consulting/"


def listed(body: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-consult-booking="(\d+)"', body)]


def booked(c: Any, capture: Any, day: date, session_type: Any = None, index: int = 0) -> Booking:
    session_type = session_type or c.session_type
    booking = hold(
        c.tenant, c.buyer, session_type, free(c.tenant, session_type, day)[index].starts_at
    )
    pay(c.tenant, c.buyer, booking, capture)
    return refreshed(c.tenant, booking)


def bounds(**changed: int) -> dict[str, int]:
    values = {
        "hold_minutes": 15,
        "dispute_window_hours": 48,
        "max_policy_hours": 168,
        "min_late_refund_percent": 0,
        "join_early_minutes": 10,
        "video_grace_minutes": 30,
        "no_show_after_minutes": 10,
        "max_file_mb": 25,
        **changed,
    }
    return {f"bounds-{name}": value for name, value in values.items()}


def test_operators_see_and_filter_bookings_across_consultants(
    consulting, make_tenant, client_for, django_capture_on_commit_callbacks
):
    c, capture = consulting, django_capture_on_commit_callbacks
    with schema_context(c.tenant.schema_name):
        other_profile = ConsultantProfile.objects.get(seller=c.other_seller)
    theirs_type = make_session_type(c.tenant, other_profile, c.other_seller, "Other call")
    first = booked(c, capture, date(2026, 12, 8))
    called_off = booked(c, capture, date(2026, 12, 10))
    theirs = booked(c, capture, date(2026, 12, 14), theirs_type)
    held = hold(
        c.tenant,
        c.other_buyer,
        c.session_type,
        free(c.tenant, c.session_type, date(2026, 12, 9))[0].starts_at,
    )
    with schema_context(c.tenant.schema_name), capture(execute=True):
        cancel_by_consultant(seller=c.seller, booking_id=called_off.pk)
        Booking.objects.filter(pk=first.pk).update(no_show="buyer")
    elsewhere = make_consulting(make_consulting_tenant(make_tenant, "other-consult-corner"))
    far = booked(elsewhere, capture, date(2026, 12, 8))

    operator, _ = signed_in_operator(client_for, c.tenant)
    page = operator.get(PAGE)
    assert page.status_code == 200
    body = page.content.decode()
    assert listed(body) == [theirs.pk, called_off.pk, held.pk, first.pk]  # latest first
    assert '<span data-count="all">4</span>' in body
    assert '<span data-count="booked">2</span>' in body
    assert '<span data-count="cancelled">1</span>' in body
    assert '<span data-count="held">1</span>' in body
    assert 'data-figure="no_shows">1<' in body
    assert "0 by buyers, 1 by consultants" in body
    refunds = body.split('data-figure="refunds">')[1].split("</span>")[0]
    assert "100.00" in refunds
    assert 'id="chart-consulting-weekly"' in body and "Sessions per week" in body
    # Booked sessions by week (the cancelled one and the hold do not count).
    assert '<th scope="row">07 Dec</th><td>1</td>' in body
    assert '<th scope="row">14 Dec</th><td>1</td>' in body
    assert 'href="/operator/consulting/"' in operator.get("/operator/").content.decode()

    assert listed(operator.get(f"{PAGE}?status=cancelled").content.decode()) == [called_off.pk]
    assert listed(operator.get(f"{PAGE}?status=no_show").content.decode()) == [first.pk]
    by_consultant = operator.get(f"{PAGE}?consultant={c.other_seller.pk}").content.decode()
    assert listed(by_consultant) == [theirs.pk]
    dated = operator.get(f"{PAGE}?from=2026-12-09&to=2026-12-10").content.decode()
    assert listed(dated) == [called_off.pk, held.pk]
    assert listed(operator.get(f"{PAGE}?from=nonsense&status=bogus").content.decode()) == listed(
        body
    )

    detail = operator.get(f"{PAGE}bookings/{called_off.pk}/")
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "Refunded in full" in text and "by the consultant" in text and "Ada" in text
    assert "Cancel this session" not in text

    # Another marketplace's operator sees only theirs.
    other_operator, _ = signed_in_operator(client_for, elsewhere.tenant)
    theirs_page = other_operator.get(PAGE).content.decode()
    assert listed(theirs_page) == [far.pk] and '<span data-count="all">1</span>' in theirs_page
    with schema_context(elsewhere.tenant.schema_name):
        foreign = [
            pk for pk in (first.pk, called_off.pk) if not Booking.objects.filter(pk=pk).exists()
        ]
    for pk in foreign:
        assert other_operator.get(f"{PAGE}bookings/{pk}/").status_code == 404

    # Buyers and sellers are kept out.
    buyer = signed_in(client_for, c.tenant, c.buyer)
    assert buyer.get(PAGE).status_code in (302, 403, 404)
    with schema_context(c.tenant.schema_name):
        ada = User.objects.get(pk=c.seller.owner_id)
    seller = signed_in(client_for, c.tenant, ada)
    assert seller.get(PAGE).status_code in (302, 403, 404)
    assert seller.get(f"{PAGE}bookings/{first.pk}/").status_code in (302, 403, 404)
    assert seller.post(f"{PAGE}bounds/", bounds(hold_minutes=30)).status_code in (302, 403, 404)

    # The module off: gone.
    set_module_enabled(tenant=c.tenant, key="consulting", is_enabled=False)
    operator, _ = signed_in_operator(client_for, c.tenant)
    assert operator.get(PAGE).status_code == 404
    assert operator.get(f"{PAGE}bookings/{first.pk}/").status_code == 404


def test_bookings_come_in_pages_with_the_filters_kept(
    consulting, client_for, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    c = consulting
    first = booked(c, django_capture_on_commit_callbacks, date(2026, 12, 8))
    with schema_context(c.tenant.schema_name):
        for _ in range(PER_PAGE + 3):  # copies of the booking without an order
            clone = Booking.objects.get(pk=first.pk)
            clone.pk, clone.offer, clone.order_line = None, None, None
            clone.ical_uid, clone.room = new_ical_uid(), new_room()
            clone.save()
    operator, _ = signed_in_operator(client_for, c.tenant)
    operator.get(PAGE)
    with django_assert_max_num_queries(20):
        one = operator.get(f"{PAGE}?status=booked").content.decode()
    assert len(listed(one)) == PER_PAGE
    assert "Page 1 of 2" in one and "page=2&amp;status=booked" in one
    with django_assert_max_num_queries(20):
        two = operator.get(f"{PAGE}?status=booked&page=2").content.decode()
    assert len(listed(two)) == 4 and first.pk in listed(two)


def test_the_bounds_form_saves_through_the_module_settings_with_errors_beside_fields(
    consulting, client_for
):
    c = consulting
    operator, _ = signed_in_operator(client_for, c.tenant)
    body = operator.get(PAGE).content.decode()
    assert 'name="bounds-hold_minutes"' in body and 'value="15"' in body

    refused = operator.post(f"{PAGE}bounds/", bounds(hold_minutes=2, max_file_mb=9000))
    assert refused.status_code == 400
    text = refused.content.decode()
    hold_field = text.split('for="id_bounds-hold_minutes"')[0].rsplit("<div", 1)[1]
    assert "has-error" in hold_field
    file_field = text.split('for="id_bounds-max_file_mb"')[1].split("</div>")[0]
    assert "errorlist" in file_field
    assert manifest.settings_for(c.tenant).hold_minutes == 15

    saved = operator.post(f"{PAGE}bounds/", bounds(hold_minutes=30, min_late_refund_percent=10))
    assert saved.status_code == 302 and saved["Location"].endswith("#bounds")
    settings = manifest.settings_for(Tenant.objects.get(pk=c.tenant.pk))  # not memoised
    assert (settings.hold_minutes, settings.min_late_refund_percent) == (30, 10)
    assert 'value="30"' in operator.get(PAGE).content.decode()
