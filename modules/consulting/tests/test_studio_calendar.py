"""The consultant's calendar and booking page in the studio: the week is the consultant's
own (Berlin) week, also the one in which the clocks go back, each session on its local day
at its local time; another consultant's sessions never appear and their booking pages are
404; a teammate without ``manage_products`` is refused; cancelling from the page refunds the
buyer in full once; the module off means 404; the page's queries do not grow with the
bookings on it."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect, sync_playwright

from core.accounts.models import Role, User
from core.commerce.models import Refund
from core.sellers.models import TeamMember
from modules.consulting.models import Booking, BookingStatus, ConsultantProfile
from modules.consulting.services import availability
from modules.consulting.tests.browser_helpers import shot as _shot
from modules.consulting.tests.browser_helpers import sign_in as _sign_in
from modules.consulting.tests.helpers import (
    Consulting,
    free,
    hold,
    make_consulting,
    make_session_type,
    pay,
    refreshed,
)
from tenants.schemas_sql import use_public_schema
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import make_user, sign_in
from tests.browser.conftest import (  # noqa: F401
    CHROMIUM_ARGS,
    _running_server,
    chromium_executable,
    marketplace_with_operator,
    operator_code,
    page_width,
)

CALENDAR = "/studio/consulting/calendar/"
# The week in which Berlin's clocks go back (Sunday 25 October 2026, 03:00 -> 02:00).
DST_MONDAY = date(2026, 10, 19)
BEFORE_DST = datetime(2026, 10, 12, 8, 0, tzinfo=UTC)


def signed_in(client_for: Any, tenant: Any, user: User) -> Client:
    client: Client = client_for(tenant)
    assert sign_in(client, user.email).json()["status"] == "signed_in"
    return client


def owner(c: Consulting, seller: Any) -> User:
    with schema_context(c.tenant.schema_name):
        return User.objects.get(pk=seller.owner_id)


def booked(c: Consulting, capture: Any, starts_at: datetime, session_type: Any = None) -> Booking:
    """A slot starting at ``starts_at`` held by Bea and paid."""
    session_type = session_type or c.session_type
    booking = hold(c.tenant, c.buyer, session_type, starts_at)
    pay(c.tenant, c.buyer, booking, capture)
    done = refreshed(c.tenant, booking)
    assert done.status == BookingStatus.BOOKED
    return done


def slot_at(c: Consulting, session_type: Any, starts_at: datetime) -> datetime:
    slots = free(c.tenant, session_type, starts_at.date())
    assert starts_at in [slot.starts_at for slot in slots], starts_at
    return starts_at


def day_html(body: str, day: date) -> str:
    """The part of the week for ``day`` (up to the next day's)."""
    part = body.split(f'data-day="{day.isoformat()}"', 1)[1]
    return part.split("data-day=", 1)[0]


def shown(body: str) -> list[int]:
    return [
        int(pk) for pk in re.findall(r'class="consult-block[^"]*"[^>]*data-booking="(\d+)"', body)
    ]


def test_the_week_is_the_consultants_own_across_the_clocks_going_back(
    consulting, client_for, django_capture_on_commit_callbacks, time_machine
):
    c, capture = consulting, django_capture_on_commit_callbacks
    time_machine.move_to(BEFORE_DST, tick=False)
    with schema_context(c.tenant.schema_name):
        # Ada also works late on the Sunday the clocks go back: 23:00-24:00 Berlin (CET).
        availability.set_override(profile=c.profile, day=date(2026, 10, 25), windows=[[1380, 1440]])
        other_profile = ConsultantProfile.objects.get(seller=c.other_seller)
    friday = booked(c, capture, slot_at(c, c.session_type, datetime(2026, 10, 23, 7, tzinfo=UTC)))
    # 23:00 on Sunday in Berlin is 22:00 UTC: a week taken as 7 x 24 h from Monday's
    # midnight (summer time) would end at 22:00 UTC and miss it.
    sunday = booked(c, capture, slot_at(c, c.session_type, datetime(2026, 10, 25, 22, tzinfo=UTC)))
    monday = booked(c, capture, slot_at(c, c.session_type, datetime(2026, 10, 26, 8, tzinfo=UTC)))
    held = hold(c.tenant, c.other_buyer, c.session_type, datetime(2026, 10, 22, 12, tzinfo=UTC))
    theirs_type = make_session_type(c.tenant, other_profile, c.other_seller, "Other call")
    theirs = booked(
        c, capture, slot_at(c, theirs_type, datetime(2026, 10, 21, 14, tzinfo=UTC)), theirs_type
    )

    ada = signed_in(client_for, c.tenant, owner(c, c.seller))
    page = ada.get(f"{CALENDAR}?week=2026-10-21")  # any day picks its week
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-week="2026-10-19"' in body and "Europe/Berlin" in body
    assert shown(body) == [held.pk, friday.pk, sunday.pk]  # Thursday, Friday, Sunday
    assert monday.pk not in shown(body) and theirs.pk not in shown(body)
    assert "09:00&ndash;10:00" in day_html(body, date(2026, 10, 23))  # CEST, +2
    assert "Bea Buyer" in day_html(body, date(2026, 10, 23))
    assert "23:00&ndash;00:00" in day_html(body, date(2026, 10, 25))  # CET, +1
    assert "14:00&ndash;15:00" in day_html(body, date(2026, 10, 22))
    assert 'data-state="held"' in day_html(body, date(2026, 10, 22))
    assert '<span class="kpi-value" data-total="sessions">2</span>' in body  # not the hold
    assert '<span class="kpi-value" data-total="hours">2 h</span>' in body
    assert "200.00" in body.split('data-total="earnings"')[1].split("</span>")[0]

    after = ada.get(f"{CALENDAR}?week=2026-10-26").content.decode()
    assert shown(after) == [monday.pk]
    assert "09:00&ndash;10:00" in day_html(after, date(2026, 10, 26))  # CET, +1

    held_only = ada.get(f"{CALENDAR}?week=2026-10-19&status=held").content.decode()
    assert shown(held_only) == [held.pk]

    # htmx asks for the week alone.
    swapped = ada.get(
        f"{CALENDAR}?week=2026-10-26", headers={"HX-Request": "true", "HX-Target": "consult-week"}
    ).content.decode()
    assert swapped.lstrip().startswith("<div") or 'id="consult-week"' in swapped
    assert "<html" not in swapped and shown(swapped) == [monday.pk]

    # Bob (New York) sees his own session at his own time, none of Ada's.
    bob = signed_in(client_for, c.tenant, owner(c, c.other_seller))
    his = bob.get(f"{CALENDAR}?week=2026-10-19").content.decode()
    assert shown(his) == [theirs.pk] and "10:00&ndash;11:00" in his and "America/New_York" in his
    for booking in (friday, sunday, held):
        assert bob.get(f"/studio/consulting/bookings/{booking.pk}/").status_code == 404
        assert (
            bob.post(
                f"/studio/consulting/bookings/{booking.pk}/cancel/", {"confirm": "yes"}
            ).status_code
            == 404
        )
    assert refreshed(c.tenant, friday).status == BookingStatus.BOOKED


def test_past_sessions_show_what_happened_and_the_upcoming_list(
    consulting, client_for, django_capture_on_commit_callbacks, time_machine
):
    c, capture = consulting, django_capture_on_commit_callbacks
    first = booked(c, capture, free(c.tenant, c.session_type, date(2026, 12, 8))[0].starts_at)
    second = booked(c, capture, free(c.tenant, c.session_type, date(2026, 12, 9))[0].starts_at)
    with schema_context(c.tenant.schema_name):
        Booking.objects.filter(pk=second.pk).update(no_show="buyer")
    ada = signed_in(client_for, c.tenant, owner(c, c.seller))
    before = ada.get(CALENDAR).content.decode()
    assert f'data-upcoming="{first.pk}"' in before and f'data-upcoming="{second.pk}"' in before

    time_machine.move_to(datetime(2026, 12, 10, 12, tzinfo=UTC), tick=False)
    ada = signed_in(client_for, c.tenant, owner(c, c.seller))
    body = ada.get(CALENDAR).content.decode()
    assert 'data-state="past"' in day_html(body, date(2026, 12, 8))
    assert "Took place" in day_html(body, date(2026, 12, 8))
    assert "Buyer no-show" in day_html(body, date(2026, 12, 9))
    assert 'title="No-show: the buyer"' in day_html(body, date(2026, 12, 9))
    assert "Nothing booked ahead." in body
    assert shown(ada.get(f"{CALENDAR}?status=no_show").content.decode()) == [second.pk]
    assert shown(ada.get(f"{CALENDAR}?status=completed").content.decode()) == [first.pk]


def test_cancelling_from_the_booking_page_refunds_the_buyer_in_full_once(
    consulting, client_for, django_capture_on_commit_callbacks
):
    c, capture = consulting, django_capture_on_commit_callbacks
    booking = booked(c, capture, free(c.tenant, c.session_type, date(2026, 12, 9))[0].starts_at)
    ada = signed_in(client_for, c.tenant, owner(c, c.seller))
    url = f"/studio/consulting/bookings/{booking.pk}/"
    page = ada.get(url).content.decode()
    assert "Cancel this session (the buyer gets a full refund)" in page
    assert "Bea Buyer" in page and "buyer@example.com" in page
    assert "Europe/Berlin" in page and 'data-zone="buyer"' in page
    assert "100% back when cancelled 48 h or more before the start" in page

    unconfirmed = ada.post(f"{url}cancel/", {})
    assert unconfirmed.status_code == 422
    assert "Tick the box" in unconfirmed.content.decode()
    assert refreshed(c.tenant, booking).status == BookingStatus.BOOKED

    with capture(execute=True):
        done = ada.post(f"{url}cancel/", {"confirm": "yes"})
    assert done.status_code == 302 and done["Location"] == url
    with capture(execute=True):
        again = ada.post(f"{url}cancel/", {"confirm": "yes"})
    assert again.status_code in (302, 409)
    cancelled = refreshed(c.tenant, booking)
    assert (cancelled.status, cancelled.cancelled_by) == (BookingStatus.CANCELLED, "consultant")
    assert cancelled.refunded_amount == cancelled.amount == 10000
    with schema_context(c.tenant.schema_name):
        assert cancelled.order_line is not None
        refunds = list(Refund.objects.filter(order_id=cancelled.order_line.order_id))
    assert [refund.amount for refund in refunds] == [10000]
    after = ada.get(url).content.decode()
    assert "Refunded in full" in after and "Cancel this session" not in after
    assert shown(ada.get(f"{CALENDAR}?status=cancelled").content.decode()) == [booking.pk]
    assert booking.pk not in shown(ada.get(CALENDAR).content.decode())


def test_teammates_without_products_and_the_module_off_are_refused(
    consulting, client_for, django_capture_on_commit_callbacks
):
    c, capture = consulting, django_capture_on_commit_callbacks
    booking = booked(c, capture, free(c.tenant, c.session_type, date(2026, 12, 9))[0].starts_at)
    orders_only = make_user(c.tenant, "orders@example.com", role=Role.SELLER)
    products = make_user(c.tenant, "products@example.com", role=Role.SELLER)
    with schema_context(c.tenant.schema_name):
        TeamMember.objects.create(seller=c.seller, user=orders_only, permissions=["process_orders"])
        TeamMember.objects.create(seller=c.seller, user=products, permissions=["manage_products"])
    url = f"/studio/consulting/bookings/{booking.pk}/"
    teammate = signed_in(client_for, c.tenant, orders_only)
    assert teammate.get(CALENDAR).status_code == 403
    assert teammate.get(url).status_code == 403
    assert teammate.post(f"{url}cancel/", {"confirm": "yes"}).status_code == 403
    allowed = signed_in(client_for, c.tenant, products)
    assert booking.pk in shown(allowed.get(CALENDAR).content.decode())
    assert allowed.get(url).status_code == 200
    buyer = signed_in(client_for, c.tenant, c.buyer)
    assert buyer.get(CALENDAR).status_code in (302, 403, 404)

    ada = signed_in(client_for, c.tenant, owner(c, c.seller))
    set_module_enabled(tenant=c.tenant, key="consulting", is_enabled=False)
    assert ada.get(CALENDAR).status_code == 404
    assert ada.get(url).status_code == 404
    assert ada.post(f"{url}cancel/", {"confirm": "yes"}).status_code == 404
    assert refreshed(c.tenant, booking).status == BookingStatus.BOOKED


def test_a_group_sessions_seats_count_their_hours_once_and_earn_each(
    consulting, client_for, django_capture_on_commit_callbacks
):
    c, capture = consulting, django_capture_on_commit_callbacks
    starts_at = free(c.tenant, c.workshop, date(2026, 12, 8))[0].starts_at
    seats = []
    for buyer in (c.buyer, c.other_buyer):
        seat = hold(c.tenant, buyer, c.workshop, starts_at)
        pay(c.tenant, buyer, seat, capture)
        seats.append(refreshed(c.tenant, seat))
    assert seats[0].session_id == seats[1].session_id
    ada = signed_in(client_for, c.tenant, owner(c, c.seller))
    body = ada.get(CALENDAR).content.decode()
    assert sorted(shown(body)) == sorted(seat.pk for seat in seats)  # a block per buyer
    assert '<span class="kpi-value" data-total="sessions">1</span>' in body
    assert '<span class="kpi-value" data-total="hours">1 h 30 min</span>' in body
    assert "60.00" in body.split('data-total="earnings"')[1].split("</span>")[0]


@pytest.mark.parametrize("count", [1, 6])
def test_the_calendar_reads_a_fixed_number_of_queries(
    consulting, client_for, django_capture_on_commit_callbacks, django_assert_max_num_queries, count
):
    c, capture = consulting, django_capture_on_commit_callbacks
    slots = [
        slot
        for day in (date(2026, 12, 8), date(2026, 12, 9), date(2026, 12, 10))
        for slot in free(c.tenant, c.session_type, day)[::2]
    ]
    made = [booked(c, capture, slot.starts_at) for slot in slots[:count]]
    ada = signed_in(client_for, c.tenant, owner(c, c.seller))
    ada.get(CALENDAR)  # warm the session and the enabled modules
    # 9 for the week with one booking or six, 2 for the calendar feed box.
    with django_assert_max_num_queries(11):
        body = ada.get(CALENDAR).content.decode()
    assert sorted(shown(body)) == sorted(booking.pk for booking in made)


# --- in Chromium ----------------------------------------------------------------------------


def test_the_calendar_booking_and_operator_pages_in_chromium(
    django_db_setup: None,
    django_db_blocker: Any,
    chromium_executable: str,  # noqa: F811
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """The week at 1280 px (seven columns) and 390 px (a list of days) moves a week on over
    htmx; the booking page cancels with its confirmation; the operator's page shows the
    cancelled session; no page scrolls sideways."""
    no_capture = lambda execute=True: contextlib.nullcontext()  # noqa: E731  # commits are real
    with (
        django_db_blocker.unblock(),
        marketplace_with_operator(
            slug="consult-calendar-browser",
            name="Consult Corner",
            operator_email="op@calendar.example",
            modules=["consulting"],
        ) as market,
    ):
        c = make_consulting(market.tenant)
        day = timezone.now().date() + timedelta(days=2)
        made: list[Any] = []
        while len(made) < 4:
            if day.weekday() < 5:
                slots = free(market.tenant, c.session_type, day)
                for slot in (slots[0], slots[3]) if len(made) < 2 else (slots[1],):
                    booking = hold(market.tenant, c.buyer, c.session_type, slot.starts_at)
                    if len(made) != 1:  # one stays held
                        pay(market.tenant, c.buyer, booking, no_capture)
                    made.append(booking)
            day += timedelta(days=1)
        with schema_context(market.tenant.schema_name):
            ada = User.objects.get(pk=c.seller.owner_id).email
        use_public_schema()
        target = made[0]
        zone = ZoneInfo("Europe/Berlin")
        monday = target.starts_at.astimezone(zone).date()
        monday -= timedelta(days=monday.weekday())
        with (
            _running_server(market.host, tmp_path, request) as server,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(
                executable_path=chromium_executable, args=CHROMIUM_ARGS
            )
            for width in (1280, 390):
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                week = f"{CALENDAR}?week={monday.isoformat()}"
                _sign_in(page, server.url(market.host, f"/accounts/login/?next={week}"), ada)
                block = page.locator(f'.consult-block[data-booking="{target.pk}"]')
                expect(block).to_contain_text("Strategy call")
                expect(block).to_contain_text("Bea Buyer")
                expect(block).to_contain_text(target.starts_at.astimezone(zone).strftime("%H:%M"))
                if width == 1280:  # seven columns side by side
                    expect(page.locator(".consult-week")).to_have_css("display", "grid")
                    boxes = [page.locator(".consult-day").nth(n).bounding_box() for n in (0, 6)]
                    assert boxes[0] and boxes[1] and boxes[0]["y"] == boxes[1]["y"]
                _shot(page, tmp_path, "consulting-calendar", width)
                page.get_by_role("link", name="Next week →").click()
                expect(page.locator(".consult-week-title")).to_have_attribute(
                    "data-week", (monday + timedelta(days=7)).isoformat()
                )
                assert f"week={(monday + timedelta(days=7)).isoformat()}" in page.url
                _shot(page, tmp_path, "consulting-calendar-next", width)
                page.goto(server.url(market.host, f"/studio/consulting/bookings/{target.pk}/"))
                expect(page.locator(".consult-facts")).to_contain_text("Europe/Berlin")
                _shot(page, tmp_path, "consulting-booking", width)
                if width == 390:
                    page.get_by_label("Yes, cancel the session").check()
                    page.get_by_role("button", name="Cancel this session").click()
                    expect(page.locator(".consult-facts")).to_contain_text("Refunded in full")
                    _shot(page, tmp_path, "consulting-booking-cancelled", width)
                context.close()

                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                _sign_in(
                    page,
                    server.url(market.host, "/accounts/login/?next=/operator/consulting/"),
                    market.operator.email,
                )
                page.get_by_label("Code from your authenticator app").fill(
                    operator_code(market, django_db_blocker)
                )
                page.get_by_role("button", name="Verify and sign in").click()
                expect(page.locator(f'[data-consult-booking="{target.pk}"]')).to_have_count(1)
                _shot(page, tmp_path, "consulting-operator", width)
                page.goto(server.url(market.host, f"/operator/consulting/bookings/{target.pk}/"))
                expect(page.locator(".consult-facts")).to_be_visible()
                _shot(page, tmp_path, "consulting-operator-booking", width)
                context.close()
            browser.close()
