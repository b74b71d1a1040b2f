"""The buyer's pages: the booking calendar on a consultation's product page shows a week of
free slots in the buyer's zone (right across a daylight-saving change), "Book" holds the slot,
puts its offer in the cart and goes to checkout; a signed-out buyer signs in and comes back to
the same slot; a slot taken meanwhile comes back with the reason and the week refreshed.
"Your consultations" and the booking page show times in the buyer's zone; the buyer moves and
cancels a session there under the booking's policy. Another buyer's booking, another
marketplace and the module switched off are all 404."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.commerce.models import CartLine
from modules.consulting import manifest as manifest_module
from modules.consulting.models import Booking, BookingStatus
from modules.consulting.services import rebook
from modules.consulting.tests.helpers import (
    Consulting,
    hold,
    make_consulting_tenant,
    pay,
    refreshed,
)
from tenants.models import Tenant
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import make_user, sign_in

NEW_YORK = "America/New_York"
MONDAY_10_UTC = "2026-12-07T10:00:00+00:00"  # Ada's 11:00 in Berlin; 05:00 in New York


@pytest.fixture(autouse=True)
def booking_panel(monkeypatch: pytest.MonkeyPatch) -> None:
    """The manifest's ``product_panel`` line (requested from the lead), patched in here."""
    patched = dataclasses.replace(
        manifest_module.manifest, product_panel="modules.consulting.storefront.panel"
    )
    monkeypatch.setattr(manifest_module, "manifest", patched)


def _text(response: Any) -> str:
    return str(response.content.decode())


def _signed_in(client_for: Any, tenant: Tenant, user: User) -> Client:
    client: Client = client_for(tenant)
    response = sign_in(client, user.email)
    assert response.status_code == 200, response.content
    return client


def _page(c: Consulting) -> str:
    return f"/p/{c.session_type.product.slug}/"


def _hold_url(c: Consulting) -> str:
    return f"/consulting/types/{c.session_type.pk}/hold/"


def _day(html: str, day: str) -> str:
    """One day of the week: from its row to the next day's (or the end of the form)."""
    start = html.index(f'data-day="{day}"')
    ends = [html.find(mark, start + 1) for mark in ('class="consult-day"', "</form>")]
    return html[start : min(end for end in ends if end > 0)]


def _times(day_html: str) -> list[tuple[str, str]]:
    return re.findall(r'<time datetime="([^"]+)">(\d\d:\d\d)</time>', day_html)


def _paid(c: Consulting, starts_at: str, capture: Any) -> Booking:
    booking = hold(c.tenant, c.buyer, c.session_type, datetime.fromisoformat(starts_at))
    with schema_context(c.tenant.schema_name):
        Booking.objects.filter(pk=booking.pk).update(buyer_zone=NEW_YORK)
    pay(c.tenant, c.buyer, booking, capture)
    booked = refreshed(c.tenant, booking)
    assert booked.status == BookingStatus.BOOKED
    return booked


def test_the_product_page_shows_the_booking_calendar_in_the_buyers_zone(
    consulting: Consulting, client_for: Any
) -> None:
    html = _text(client_for(consulting.tenant).get(f"{_page(consulting)}?tz={NEW_YORK}"))
    panel = html[html.index('id="consult-booking"') :]
    assert 'action="/cart/add/"' not in html  # the calendar is the buy box
    for fact in ("1 h", "100.00 USD", "One-to-one"):
        assert fact in panel
    # The policy in words, most notice first.
    assert re.search(r"More than 48 h before</th><td>full refund", panel)
    assert re.search(r"More than 24 h before</th><td>50% refunded", panel)
    assert re.search(r"Less than 24 h before</th><td>no refund", panel)
    assert "Reschedule up to 24 h before the start." in panel
    # Monday 08:00 UTC, two hours' notice: the first slot is 10:00 UTC, 05:00 in New York.
    assert _times(_day(panel, "2026-12-07"))[0] == (MONDAY_10_UTC, "05:00")
    assert "<option selected>America/New_York</option>" in panel
    assert f'action="{_hold_url(consulting)}"' in panel
    assert 'name="csrfmiddlewaretoken"' in panel
    assert "/static/consulting/booking.js" in panel


def test_the_week_in_the_buyers_zone_is_right_across_a_daylight_saving_change(
    consulting: Consulting, client_for: Any, time_machine: Any
) -> None:
    # New York springs forward on Sunday 14 March 2027; Berlin only on the 28th.
    time_machine.move_to(datetime(2027, 3, 10, 8, 0, tzinfo=UTC), tick=False)
    week = client_for(consulting.tenant).get(
        f"/consulting/types/{consulting.session_type.pk}/slots/",
        {"tz": NEW_YORK, "week": "2027-03-12"},
    )
    assert week.status_code == 200
    html = _text(week)
    assert 'data-week="2027-03-12"' in html
    # Ada's 09:00 in Berlin is 08:00 UTC both days: 03:00 in New York before the change,
    # 04:00 after it.
    assert _times(_day(html, "2027-03-12"))[0] == ("2027-03-12T08:00:00+00:00", "03:00")
    assert _times(_day(html, "2027-03-15"))[0] == ("2027-03-15T08:00:00+00:00", "04:00")
    assert _times(_day(html, "2027-03-15"))[-1] == ("2027-03-15T15:00:00+00:00", "11:00")
    assert "No free times" in _day(html, "2027-03-13")  # Saturday
    # The week moves on with htmx and keeps the zone in the address.
    assert 'hx-get="/consulting/types/' in html and "week=2027-03-19" in html
    assert f"tz={NEW_YORK.replace('/', '%2F')}" in html


def test_book_holds_the_slot_puts_it_in_the_cart_and_goes_to_checkout(
    consulting: Consulting, client_for: Any
) -> None:
    buyer = _signed_in(client_for, consulting.tenant, consulting.buyer)
    response = buyer.post(
        _hold_url(consulting), {"starts_at": MONDAY_10_UTC, "tz": NEW_YORK, "week": ""}
    )
    assert (response.status_code, response["Location"]) == (302, "/checkout/")
    with schema_context(consulting.tenant.schema_name):
        booking = Booking.objects.get(buyer=consulting.buyer)
        line = CartLine.objects.get(cart__buyer=consulting.buyer)
    assert (booking.status, booking.buyer_zone) == (BookingStatus.HELD, NEW_YORK)
    assert booking.starts_at == datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    assert line.offer_id == booking.offer_id
    checkout = buyer.get("/checkout/")
    assert checkout.status_code == 200 and "100.00 USD" in _text(checkout)


def test_a_signed_out_buyer_signs_in_and_comes_back_to_the_same_slot(
    consulting: Consulting, client_for: Any
) -> None:
    visitor = client_for(consulting.tenant)
    sent = visitor.post(_hold_url(consulting), {"starts_at": MONDAY_10_UTC, "tz": NEW_YORK})
    location = urlsplit(sent["Location"])
    assert (sent.status_code, location.path) == (302, "/accounts/login/")
    back = parse_qs(location.query)["next"][0]
    assert back.startswith(_page(consulting))
    with schema_context(consulting.tenant.schema_name):
        assert not Booking.objects.exists()
    buyer = _signed_in(client_for, consulting.tenant, consulting.buyer)
    html = _text(buyer.get(back))
    assert re.search(rf'value="{re.escape(MONDAY_10_UTC)}" required checked', html)
    assert "<option selected>America/New_York</option>" in html
    assert buyer.post(_hold_url(consulting), {"starts_at": MONDAY_10_UTC, "tz": NEW_YORK})[
        "Location"
    ] == ("/checkout/")


def test_a_slot_taken_meanwhile_comes_back_with_the_reason_and_the_week_refreshed(
    consulting: Consulting, client_for: Any
) -> None:
    page = client_for(consulting.tenant).get(f"{_page(consulting)}?tz={NEW_YORK}")
    assert MONDAY_10_UTC in _text(page)
    hold(
        consulting.tenant,
        consulting.other_buyer,
        consulting.session_type,
        datetime.fromisoformat(MONDAY_10_UTC),
    )
    buyer = _signed_in(client_for, consulting.tenant, consulting.buyer)
    refused = buyer.post(
        _hold_url(consulting), {"starts_at": MONDAY_10_UTC, "tz": NEW_YORK, "week": "2026-12-07"}
    )
    assert refused.status_code == 302
    assert refused["Location"].startswith(f"{_page(consulting)}?tz=America%2FNew_York")
    html = _text(buyer.get(refused["Location"]))
    assert re.search(r'role="alert" data-consult-error>This slot is not available', html)
    monday = [instant for instant, _ in _times(_day(html, "2026-12-07"))]
    assert MONDAY_10_UTC not in monday and monday  # refreshed, the rest still free
    with schema_context(consulting.tenant.schema_name):
        assert not Booking.objects.filter(buyer=consulting.buyer).exists()
        assert not CartLine.objects.filter(cart__buyer=consulting.buyer).exists()
    assert "data-consult-error" not in _text(buyer.get(refused["Location"]))  # once


def test_my_consultations_lists_upcoming_and_past_in_the_buyers_zone(
    consulting: Consulting, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    booked = _paid(consulting, "2026-12-09T14:00:00+00:00", django_capture_on_commit_callbacks)
    held = hold(
        consulting.tenant,
        consulting.buyer,
        consulting.session_type,
        datetime(2026, 12, 10, 9, 0, tzinfo=UTC),
    )
    with schema_context(consulting.tenant.schema_name):  # held from New York, as the other
        Booking.objects.filter(pk=held.pk).update(buyer_zone=NEW_YORK)
    buyer = _signed_in(client_for, consulting.tenant, consulting.buyer)
    html = _text(buyer.get("/consulting/mine/"))
    upcoming = html[html.index("data-consult-upcoming") :]
    rows = re.findall(r'data-booking="(\d+)" data-status="(\w+)"', upcoming)
    assert rows == [(str(booked.pk), "booked"), (str(held.pk), "held")]  # soonest first
    assert "Wed 9 Dec 2026, 09:00&ndash;10:00" in upcoming  # 14:00 UTC in New York
    assert f'href="/consulting/bookings/{booked.pk}/"' in upcoming
    assert f'action="/consulting/bookings/{held.pk}/pay/"' in upcoming  # finish paying
    assert "data-consult-past" not in html
    # Finishing the payment puts the held offer back in the cart and goes to checkout.
    response = buyer.post(f"/consulting/bookings/{held.pk}/pay/")
    assert (response.status_code, response["Location"]) == (302, "/checkout/")
    # Another zone on request.
    berlin = _text(buyer.get("/consulting/mine/", {"tz": "Europe/Berlin"}))
    assert "Wed 9 Dec 2026, 15:00&ndash;16:00" in berlin


def test_the_buyer_reschedules_and_cancels_from_the_booking_page(
    consulting: Consulting, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    booked = _paid(consulting, "2026-12-09T14:00:00+00:00", django_capture_on_commit_callbacks)
    buyer = _signed_in(client_for, consulting.tenant, consulting.buyer)
    page = f"/consulting/bookings/{booked.pk}/"
    html = _text(buyer.get(page))
    assert "Wednesday 9 December 2026, 09:00&ndash;10:00" in html  # New York
    assert "Wed 9 Dec, 15:00&ndash;16:00" in html  # Ada's Berlin
    assert "Cancelling now refunds <strong>100.00 USD</strong> of 100.00 USD" in html
    assert f'action="/consulting/bookings/{booked.pk}/reschedule/"' in html
    thursday = _times(_day(html, "2026-12-10"))
    assert thursday[0] == ("2026-12-10T08:00:00+00:00", "03:00")

    moved = buyer.post(
        f"{page}reschedule/", {"starts_at": "2026-12-10T08:00:00+00:00", "tz": NEW_YORK}
    )
    assert moved.status_code == 302 and "done=rescheduled" in moved["Location"]
    html = _text(buyer.get(moved["Location"]))
    assert "Your session has moved." in html
    assert "Thursday 10 December 2026, 03:00&ndash;04:00" in html
    assert refreshed(consulting.tenant, booked).sequence == 1

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = buyer.post(f"{page}cancel/")
    assert (cancelled.status_code, cancelled["Location"]) == (302, f"{page}?done=cancelled")
    done = refreshed(consulting.tenant, booked)
    assert (done.status, done.refunded_amount, done.cancelled_by) == ("cancelled", 10000, "buyer")
    html = _text(buyer.get(cancelled["Location"]))
    assert "Your session is cancelled." in html and "100.00 USD refunded" in html
    assert f"{page}cancel/" not in html and f"{page}reschedule/" not in html


def test_a_move_after_the_cut_off_is_refused_with_the_reason(
    consulting: Consulting, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    soon = _paid(consulting, "2026-12-07T14:00:00+00:00", django_capture_on_commit_callbacks)
    buyer = _signed_in(client_for, consulting.tenant, consulting.buyer)
    page = f"/consulting/bookings/{soon.pk}/"
    html = _text(buyer.get(page))
    assert "Sessions move up to 24 hours before they start; this one is too close." in html
    assert f"{page}reschedule/" not in html
    assert "Cancelling now refunds <strong>0.00 USD</strong>" in html  # the late tier
    refused = buyer.post(
        f"{page}reschedule/", {"starts_at": "2026-12-10T08:00:00+00:00", "tz": NEW_YORK}
    )
    assert refused.status_code == 302
    html = _text(buyer.get(refused["Location"]))
    assert re.search(r'role="alert">Sessions move up to 24 hours before they start', html)
    assert refreshed(consulting.tenant, soon).starts_at == datetime(2026, 12, 7, 14, tzinfo=UTC)


def test_another_buyers_booking_is_not_found(
    consulting: Consulting, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    booked = _paid(consulting, "2026-12-09T14:00:00+00:00", django_capture_on_commit_callbacks)
    other = _signed_in(client_for, consulting.tenant, consulting.other_buyer)
    page = f"/consulting/bookings/{booked.pk}/"
    assert other.get(page).status_code == 404
    assert other.get(f"{page}slots/").status_code == 404
    assert other.post(f"{page}cancel/").status_code == 404
    assert other.post(f"{page}pay/").status_code == 404
    moved = other.post(f"{page}reschedule/", {"starts_at": "2026-12-10T08:00:00+00:00"})
    assert moved.status_code == 404
    assert f'data-booking="{booked.pk}"' not in _text(other.get("/consulting/mine/"))
    done = refreshed(consulting.tenant, booked)
    assert (done.status, done.starts_at.hour, done.sequence) == ("booked", 14, 0)


def test_the_pages_are_not_found_where_the_module_is_off(
    consulting: Consulting, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    booked = _paid(consulting, "2026-12-09T14:00:00+00:00", django_capture_on_commit_callbacks)
    buyer = _signed_in(client_for, consulting.tenant, consulting.buyer)
    set_module_enabled(tenant=consulting.tenant, key="consulting", is_enabled=False)
    for path in (
        "/consulting/mine/",
        f"/consulting/bookings/{booked.pk}/",
        f"/consulting/types/{consulting.session_type.pk}/slots/",
    ):
        assert buyer.get(path).status_code == 404, path
    assert buyer.post(_hold_url(consulting), {"starts_at": MONDAY_10_UTC}).status_code == 404
    assert buyer.post(f"/consulting/bookings/{booked.pk}/cancel/").status_code == 404
    assert refreshed(consulting.tenant, booked).status == "booked"


def test_another_marketplaces_sessions_and_bookings_are_not_found(
    consulting: Consulting,
    client_for: Any,
    make_tenant: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    booked = _paid(consulting, "2026-12-09T14:00:00+00:00", django_capture_on_commit_callbacks)
    elsewhere = make_consulting_tenant(make_tenant, "other-corner")
    stranger = make_user(elsewhere, "stranger@example.com")
    client = _signed_in(client_for, elsewhere, stranger)
    page = f"/consulting/bookings/{booked.pk}/"
    assert client.get(page).status_code == 404
    assert client.post(f"{page}cancel/").status_code == 404
    assert client.get(f"/consulting/types/{consulting.session_type.pk}/slots/").status_code == 404
    held = client.post(_hold_url(consulting), {"starts_at": MONDAY_10_UTC, "tz": NEW_YORK})
    assert held.status_code == 404
    assert client.get(f"{_page(consulting)}?tz={NEW_YORK}").status_code == 404
    assert refreshed(consulting.tenant, booked).status == "booked"
    with schema_context(elsewhere.schema_name):
        assert not Booking.objects.exists()


def test_a_book_again_offer_in_the_address_prices_the_hold(
    consulting: Consulting,
    client_for: Any,
    time_machine: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    past = _paid(consulting, MONDAY_10_UTC, django_capture_on_commit_callbacks)
    time_machine.move_to(datetime(2026, 12, 7, 12, 0, tzinfo=UTC), tick=False)
    with schema_context(consulting.tenant.schema_name):
        offer = rebook.create_offer(
            seller=consulting.seller,
            booking_id=past.pk,
            data=rebook.OfferData(session_type_id=consulting.session_type.pk, price=4000),
        )
    buyer = _signed_in(client_for, consulting.tenant, consulting.buyer)
    html = _text(buyer.get(f"{_page(consulting)}?tz={NEW_YORK}&rebook={offer.pk}"))
    assert "<s>100.00 USD</s> 40.00 USD" in html
    assert f'name="rebook" value="{offer.pk}"' in html
    # Another buyer following the same link sees the usual price.
    other = _signed_in(client_for, consulting.tenant, consulting.other_buyer)
    assert "<s>100.00 USD</s>" not in _text(other.get(f"{_page(consulting)}?rebook={offer.pk}"))
    response = buyer.post(
        _hold_url(consulting),
        {"starts_at": "2026-12-08T10:00:00+00:00", "tz": NEW_YORK, "rebook": str(offer.pk)},
    )
    assert (response.status_code, response["Location"]) == (302, "/checkout/")
    with schema_context(consulting.tenant.schema_name):
        held = Booking.objects.get(buyer=consulting.buyer, status=BookingStatus.HELD)
        line = CartLine.objects.select_related("offer").get(cart__buyer=consulting.buyer)
    assert line.offer is not None
    assert (held.amount, held.rebook_offer_id, line.offer.amount) == (4000, offer.pk, 4000)
