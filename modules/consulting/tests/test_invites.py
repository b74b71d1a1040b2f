"""Calendar invites and the private feed: the invite parsed back with icalendar keeps one UID
while its SEQUENCE rises from the booking to the move to the cancellation (METHOD REQUEST,
REQUEST, CANCEL); only the booking's buyer and consultant get it; the feed lists a user's
sessions on both sides (cancelled ones as cancelled) to whoever holds its secret URL, which a
new link cuts off; another marketplace's token and a marketplace without the module are 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.test import Client
from django_tenants.utils import schema_context
from icalendar import Calendar, Event
from playwright.sync_api import expect, sync_playwright

from modules.consulting.invites import ics_for
from modules.consulting.models import Booking, ConsultantProfile
from modules.consulting.services.cancellation import cancel_by_buyer
from modules.consulting.services.reschedule import reschedule_by_buyer
from modules.consulting.tests.browser_helpers import shot
from modules.consulting.tests.helpers import (
    hold,
    make_consulting,
    make_consulting_tenant,
    make_session_type,
    pay,
    refreshed,
)
from tenants.schemas_sql import use_public_schema
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import PASSWORD, call, sign_in
from tests.browser.conftest import (  # noqa: F401
    CHROMIUM_ARGS,
    _running_server,
    chromium_executable,
    marketplace_with_operator,
    page_width,
)
from tests.fleet_helpers import host_of

TEN = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)  # Wednesday, 11:00 in Berlin


def signed_in(client_for: Any, tenant: Any, email: str) -> Client:
    client: Client = client_for(tenant)
    assert sign_in(client, email).json()["status"] == "signed_in"
    return client


def parsed(body: bytes) -> tuple[Calendar, list[Event]]:
    calendar = Calendar.from_ical(body)
    return calendar, [event for event in calendar.walk("VEVENT") if isinstance(event, Event)]


def booked(c: Any, capture: Any, starts_at: datetime = TEN, buyer: Any = None) -> Booking:
    buyer = buyer or c.buyer
    booking = hold(c.tenant, buyer, c.session_type, starts_at)
    pay(c.tenant, buyer, booking, capture)
    return refreshed(c.tenant, booking)


def invite_path(booking: Booking) -> str:
    return f"/consulting/bookings/{booking.pk}/invite.ics"


def test_the_invite_keeps_its_uid_and_raises_its_sequence_from_booking_to_move_to_cancel(
    consulting, client_for, django_capture_on_commit_callbacks
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    buyer = signed_in(client_for, c.tenant, "buyer@example.com")
    origin = f"https://{host_of(c.tenant)}"

    downloads = [buyer.get(invite_path(booking))]
    with schema_context(c.tenant.schema_name):
        reschedule_by_buyer(
            buyer=c.buyer, booking_id=booking.pk, starts_at=TEN + timedelta(hours=2)
        )
    downloads.append(buyer.get(invite_path(booking)))
    with schema_context(c.tenant.schema_name):
        cancel_by_buyer(buyer=c.buyer, booking_id=booking.pk)
    downloads.append(buyer.get(invite_path(booking)))

    assert [r.status_code for r in downloads] == [200, 200, 200]
    assert [r["Content-Type"] for r in downloads] == [
        "text/calendar; charset=utf-8; method=REQUEST",
        "text/calendar; charset=utf-8; method=REQUEST",
        "text/calendar; charset=utf-8; method=CANCEL",
    ]
    assert downloads[0]["Content-Disposition"] == 'attachment; filename="invite.ics"'
    calendars = [parsed(r.content) for r in downloads]
    assert [str(cal["METHOD"]) for cal, _ in calendars] == ["REQUEST", "REQUEST", "CANCEL"]
    assert {str(cal["VERSION"]) for cal, _ in calendars} == {"2.0"}
    assert {str(cal["PRODID"]) for cal, _ in calendars} == {"-//Souk//Consulting invites//EN"}
    events = [only for _, (only,) in calendars]  # one VEVENT each
    assert {str(event["UID"]) for event in events} == {booking.ical_uid}
    sequences = [int(event["SEQUENCE"]) for event in events]
    assert sequences == [0, 1, 2]  # strictly rising
    assert [str(event["STATUS"]) for event in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert [event["DTSTART"].to_ical() for event in events] == [
        b"20261209T100000Z",
        b"20261209T120000Z",
        b"20261209T120000Z",
    ]
    assert events[1].decoded("DTEND") == TEN + timedelta(hours=3)

    first = events[0]
    assert str(first["SUMMARY"]) == "Strategy call with Ada"
    assert str(first["ORGANIZER"]) == "mailto:ada@example.com"
    assert str(first["ORGANIZER"].params["CN"]) == "Ada"
    attendee = first["ATTENDEE"]
    assert str(attendee) == "mailto:buyer@example.com"
    assert {key: str(attendee.params[key]) for key in ("CN", "ROLE", "PARTSTAT", "RSVP")} == {
        "CN": "Bea Buyer",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "ACCEPTED",
        "RSVP": "FALSE",
    }
    join = f"{origin}/consulting/bookings/{booking.pk}/join/"
    assert str(first["LOCATION"]) == join
    description = str(first["DESCRIPTION"])
    assert join in description
    assert f"{origin}/consulting/bookings/{booking.pk}/" in description
    assert "Wed 9 Dec 2026, 10:00 UTC" in description  # the buyer's zone (UTC here)
    assert "Wed 9 Dec 2026, 11:00 CET (Europe/Berlin)" in description  # the consultant's
    assert "DTSTAMP" in first


def test_only_the_bookings_buyer_and_consultant_get_its_invite(
    consulting, client_for, django_capture_on_commit_callbacks
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    unpaid = hold(c.tenant, c.buyer, c.session_type, TEN + timedelta(hours=3))
    path = invite_path(booking)

    buyer = signed_in(client_for, c.tenant, "buyer@example.com")
    consultant = signed_in(client_for, c.tenant, "ada@example.com")
    other_buyer = signed_in(client_for, c.tenant, "other-buyer@example.com")
    other_consultant = signed_in(client_for, c.tenant, "bob@example.com")
    anonymous = client_for(c.tenant)

    theirs = consultant.get(path)
    assert theirs.status_code == 200
    (event,) = parsed(theirs.content)[1]
    assert str(event["URL"]).endswith(f"/consulting/bookings/{booking.pk}/")
    assert "/studio/" in str(event["URL"]) or "/seller/" in str(event["URL"])
    assert other_buyer.get(path).status_code == 404
    assert other_consultant.get(path).status_code == 404
    assert buyer.get(invite_path(unpaid)).status_code == 404  # a hold is on no calendar
    assert buyer.get("/consulting/bookings/999999/invite.ics").status_code == 404
    refused = anonymous.get(path)
    assert refused.status_code == 302
    assert b"BEGIN:VCALENDAR" not in refused.content

    api = f"/consulting/bookings/{booking.pk}/invite.ics"
    by_api = call(buyer, "get", api)
    assert by_api.status_code == 200
    assert by_api["Content-Type"] == "text/calendar; charset=utf-8; method=REQUEST"
    assert str(parsed(by_api.content)[1][0]["UID"]) == booking.ical_uid
    assert call(other_buyer, "get", api).status_code == 404
    assert call(other_consultant, "get", api).status_code == 404
    assert call(anonymous, "get", api).status_code == 401


def test_a_request_for_a_cancelled_booking_is_its_cancel(
    consulting, django_capture_on_commit_callbacks
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    with schema_context(c.tenant.schema_name):
        cancel_by_buyer(buyer=c.buyer, booking_id=booking.pk)
        gone = Booking.objects.get(pk=booking.pk)
        calendar, (event,) = parsed(ics_for(gone, method="REQUEST"))
        with pytest.raises(ValueError):
            ics_for(gone, method="PUBLISH")
    assert (str(calendar["METHOD"]), str(event["STATUS"]), int(event["SEQUENCE"])) == (
        "CANCEL",
        "CANCELLED",
        1,
    )


def feed_path(client: Client) -> tuple[str, dict[str, str]]:
    answer = call(client, "get", "/consulting/calendar-feed")
    assert answer.status_code == 200, answer.content
    urls: dict[str, str] = answer.json()
    return urlparse(urls["url"]).path, urls


def test_the_feed_lists_a_users_sessions_as_buyer_and_consultant_to_its_secret_url(
    consulting, client_for, django_capture_on_commit_callbacks
):
    c = consulting
    kept = booked(c, django_capture_on_commit_callbacks)
    dropped = booked(c, django_capture_on_commit_callbacks, TEN + timedelta(hours=3))
    with schema_context(c.tenant.schema_name):
        cancel_by_buyer(buyer=c.buyer, booking_id=dropped.pk)
    hold(c.tenant, c.other_buyer, c.session_type, TEN + timedelta(hours=5))  # unpaid
    with schema_context(c.tenant.schema_name):
        bob_profile = ConsultantProfile.objects.get(seller=c.other_seller)
    bobs = make_session_type(c.tenant, bob_profile, c.other_seller, "Tax hour")
    ada_buys = hold(c.tenant, c.seller.owner, bobs, datetime(2026, 12, 10, 15, tzinfo=UTC))
    pay(c.tenant, c.seller.owner, ada_buys, django_capture_on_commit_callbacks)

    ada = signed_in(client_for, c.tenant, "ada@example.com")
    path, urls = feed_path(ada)
    host = host_of(c.tenant)
    assert urls == {"url": f"https://{host}{path}", "webcal_url": f"webcal://{host}{path}"}
    assert path.startswith("/consulting/calendar/") and path.endswith(".ics")
    assert feed_path(ada)[0] == path  # stable until rotated

    answer = client_for(c.tenant).get(path)  # calendar apps send no cookies
    assert answer.status_code == 200
    assert answer["Cache-Control"] == "private, no-store"
    assert answer["Content-Type"].startswith("text/calendar")
    calendar, events = parsed(answer.content)
    assert str(calendar["METHOD"]) == "PUBLISH"
    listed = {str(event["UID"]): event for event in events}
    with schema_context(c.tenant.schema_name):
        uids = dict(Booking.objects.values_list("pk", "ical_uid"))
    assert set(listed) == {uids[kept.pk], uids[dropped.pk], uids[ada_buys.pk]}
    assert str(listed[uids[kept.pk]]["STATUS"]) == "CONFIRMED"
    assert str(listed[uids[dropped.pk]]["STATUS"]) == "CANCELLED"
    assert int(listed[uids[dropped.pk]]["SEQUENCE"]) == 1
    assert str(listed[uids[ada_buys.pk]]["SUMMARY"]) == "Tax hour with Bob"
    assert all("ATTENDEE" not in event for event in events)  # RFC 5546: none in PUBLISH

    buyer = signed_in(client_for, c.tenant, "buyer@example.com")
    buyers_path, _ = feed_path(buyer)
    assert buyers_path != path
    _, buyers_events = parsed(client_for(c.tenant).get(buyers_path).content)
    assert {str(e["UID"]) for e in buyers_events} == {uids[kept.pk], uids[dropped.pk]}
    assert (
        client_for(c.tenant).get("/consulting/calendar/not-a-real-token-at-all.ics").status_code
        == 404
    )


def test_a_new_private_link_cuts_off_the_old_one(consulting, client_for):
    c = consulting
    buyer = signed_in(client_for, c.tenant, "buyer@example.com")
    anonymous = client_for(c.tenant)
    first, _ = feed_path(buyer)
    assert anonymous.get(first).status_code == 200

    swapped = buyer.post(
        "/consulting/calendar/rotate/", {"next": "/consulting/mine/"}, HTTP_HX_REQUEST="true"
    )
    assert swapped.status_code == 200
    second, urls = feed_path(buyer)
    assert second != first
    html = swapped.content.decode()
    assert urls["url"] in html and urls["webcal_url"] in html
    assert 'id="calendar-feed"' in html and "New private link" in html
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200

    plain = buyer.post("/consulting/calendar/rotate/", {"next": "https://evil.example/"})
    assert (plain.status_code, plain["Location"]) == (302, "/consulting/mine/")
    rotated = call(buyer, "post", "/consulting/calendar-feed/rotate")
    assert rotated.status_code == 200
    third = urlparse(rotated.json()["url"]).path
    assert anonymous.get(feed_path(buyer)[0]).status_code == 200
    assert feed_path(buyer)[0] == third
    assert [anonymous.get(old).status_code for old in (first, second)] == [404, 404]
    assert anonymous.get("/consulting/calendar/rotate/").status_code == 405
    assert anonymous.post("/consulting/calendar/rotate/").status_code == 302  # to sign in


def test_another_marketplaces_token_and_a_switched_off_module_are_404(
    make_tenant, client_for, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(datetime(2026, 12, 7, 8, tzinfo=UTC), tick=False)
    first = make_consulting_tenant(make_tenant, "consult-one")
    second = make_consulting_tenant(make_tenant, "consult-two")
    c = make_consulting(first)
    make_consulting(second)  # the same e-mail addresses there
    booking = booked(c, django_capture_on_commit_callbacks)
    buyer = signed_in(client_for, first, "buyer@example.com")
    path, _ = feed_path(buyer)
    elsewhere = signed_in(client_for, second, "buyer@example.com")

    assert client_for(first).get(path).status_code == 200
    assert client_for(second).get(path).status_code == 404
    assert elsewhere.get(invite_path(booking)).status_code == 404
    assert (
        call(elsewhere, "get", f"/consulting/bookings/{booking.pk}/invite.ics").status_code == 404
    )
    assert feed_path(elsewhere)[0] != path

    set_module_enabled(tenant=first, key="consulting", is_enabled=False)
    assert client_for(first).get(path).status_code == 404
    assert buyer.get(invite_path(booking)).status_code == 404
    assert call(buyer, "get", "/consulting/calendar-feed").status_code == 404
    assert call(buyer, "get", f"/consulting/bookings/{booking.pk}/invite.ics").status_code == 404
    assert buyer.post("/consulting/calendar/rotate/").status_code == 404


def test_the_buyer_copies_their_feed_link_and_makes_a_new_one_in_chromium(
    django_db_setup: None,
    django_db_blocker: Any,
    chromium_executable: str,  # noqa: F811
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    with (
        django_db_blocker.unblock(),
        marketplace_with_operator(
            slug="consult-feed-browser",
            name="Consult Corner",
            operator_email="op@consult-feed.example",
            modules=["consulting"],
        ) as market,
    ):
        c = make_consulting(market.tenant)
        use_public_schema()
        with (
            _running_server(market.host, tmp_path, request) as server,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(
                executable_path=chromium_executable, args=CHROMIUM_ARGS
            )
            for width in (1280, 390):
                context = browser.new_context(viewport={"width": width, "height": 800})
                page = context.new_page()
                page.on("dialog", lambda dialog: dialog.accept())
                page.goto(server.url(market.host, "/accounts/login/?next=/consulting/mine/"))
                page.get_by_label("E-mail address").fill(c.buyer.email)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                box = page.locator("#calendar-feed")
                expect(box).to_contain_text("Your calendar feed")
                old = page.locator("[data-feed-url]").input_value()
                assert old.startswith(f"https://{market.host}/consulting/calendar/")
                webcal = page.locator("[data-feed-webcal]").get_attribute("href")
                assert webcal == "webcal://" + old.split("://", 1)[1]
                old_path = urlparse(old).path
                assert status_of(page, old_path) == 200
                assert page_width(page) <= width
                shot(page, tmp_path, f"consulting-feed-{width}")

                page.get_by_role("button", name="New private link").click()
                expect(page.locator(".calendar-feed-note")).to_contain_text("old one no longer")
                new = page.locator("[data-feed-url]").input_value()
                assert new != old and new.startswith(f"https://{market.host}/consulting/calendar/")
                assert status_of(page, old_path) == 404
                assert status_of(page, urlparse(new).path) == 200
                assert page_width(page) <= width
                shot(page, tmp_path, f"consulting-feed-rotated-{width}")
                context.close()
            browser.close()


def status_of(page: Any, path: str) -> int:
    """What the marketplace answers ``path`` (fetched by the page: same origin, no cookies
    needed by a feed)."""
    status: int = page.evaluate("async (path) => (await fetch(path)).status", path)
    return status
