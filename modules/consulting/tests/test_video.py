"""Video sessions: a booked session's Jitsi room is named after the booking's random room, and
each participant's link carries a JWT (verified here with PyJWT) for that room alone, valid
from the join window's opening to the session's end plus the operator's grace, moderator
only for the consultant; a consultant with a room of their own gets that link instead. The
link exists only inside the window, only for a booked session, and only for its buyer and
consultant (the seller's owner or a teammate with the module's permission): anyone else,
another marketplace and a marketplace without the module get a 404. No network: nothing
here calls the video server."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect, sync_playwright

from core.accounts.models import User
from core.schema import current_schema_name
from core.sellers.models import TeamMember
from modules.consulting import video
from modules.consulting.manifest import ConsultingSettings
from modules.consulting.models import Booking, BookingStatus, new_room
from modules.consulting.models import VideoProvider as VideoProviderChoice
from modules.consulting.services import availability
from modules.consulting.services.booking import hold_slot
from modules.consulting.services.cancellation import cancel_by_consultant
from modules.consulting.tests.browser_helpers import shot as _shot
from modules.consulting.tests.browser_helpers import sign_in as _sign_in
from modules.consulting.tests.helpers import (
    T0,
    Consulting,
    free,
    hold,
    make_consulting,
    make_consulting_tenant,
    pay,
    refreshed,
)
from tenants.schemas_sql import use_public_schema
from tenants.services import set_module_enabled
from tests.accounts_helpers import call, make_user, sign_in
from tests.browser.conftest import (  # noqa: F401
    CHROMIUM_ARGS,
    _running_server,
    chromium_executable,
    marketplace_with_operator,
    page_width,
)

TEN_UTC = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)  # Wednesday, 11:00 in Berlin, 05:00 in NY
OPENS = TEN_UTC - timedelta(minutes=10)  # join_early_minutes
CLOSES = TEN_UTC + timedelta(hours=1, minutes=30)  # the hour, then video_grace_minutes
DOMAIN = "meet.souk.test"
APP_ID = "souk-test"
SECRET = "a-test-secret-that-is-long-enough-for-hs256"


@pytest.fixture
def jitsi(settings: Any) -> None:
    settings.SOUK_JITSI_DOMAIN = DOMAIN
    settings.SOUK_JITSI_APP_ID = APP_ID
    settings.SOUK_JITSI_APP_SECRET = SECRET


def booked(c: Consulting, capture: Any, starts_at: datetime = TEN_UTC) -> Booking:
    """A session Bea (in New York) booked and paid."""
    with schema_context(c.tenant.schema_name):
        booking = hold_slot(
            buyer=c.buyer,
            session_type_id=c.session_type.pk,
            starts_at=starts_at,
            buyer_zone="America/New_York",
        )
    pay(c.tenant, c.buyer, booking, capture)
    paid = refreshed(c.tenant, booking)
    assert paid.status == BookingStatus.BOOKED
    return paid


def user(c: Consulting, pk: int) -> User:
    with schema_context(c.tenant.schema_name):
        return User.objects.get(pk=pk)


def signed_in(client_for: Any, tenant: Any, email: str) -> Client:
    client: Client = client_for(tenant)
    assert sign_in(client, email).json()["status"] == "signed_in"
    return client


def claims_of(link: str) -> dict[str, Any]:
    """The link's JWT, checked like Prosody does: signature, audience, nbf and exp now."""
    token = parse_qs(urlsplit(link).query)["jwt"][0]
    decoded: dict[str, Any] = jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi")
    return decoded


def test_the_jitsi_token_names_the_room_the_window_and_who_moderates(
    consulting, jitsi, time_machine, django_capture_on_commit_callbacks
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    ada = user(c, c.seller.owner_id)
    time_machine.move_to(TEN_UTC - timedelta(minutes=5), tick=False)

    now = TEN_UTC - timedelta(minutes=5)
    with schema_context(c.tenant.schema_name):
        room = f"{current_schema_name().replace('_', '-')}-{booking.room}".lower()
        too_early = video.join_link_for(booking, participant=ada, role="consultant", now=T0)
        as_consultant = video.join_link_for(booking, participant=ada, role="consultant", now=now)
        as_buyer = video.join_link_for(booking, participant=c.buyer, role="buyer", now=now)
    assert too_early is None
    assert as_consultant is not None and as_buyer is not None
    assert as_consultant.startswith(f"https://{DOMAIN}/{room}?jwt=")
    assert as_buyer.startswith(f"https://{DOMAIN}/{room}?jwt=")

    consultant = claims_of(as_consultant)
    buyer = claims_of(as_buyer)
    for claims in (consultant, buyer):
        assert claims["aud"] == "jitsi"
        assert claims["iss"] == APP_ID
        assert claims["sub"] == DOMAIN
        assert claims["room"] == room
        assert claims["nbf"] == int(OPENS.timestamp())
        assert claims["exp"] == int(CLOSES.timestamp())  # the end plus 30 minutes' grace
    assert consultant["context"]["user"] == {
        "id": str(ada.pk),
        "name": ada.full_name or ada.email,
        "email": ada.email,
        "moderator": True,
    }
    assert buyer["context"]["user"] == {
        "id": str(c.buyer.pk),
        "name": "Bea Buyer",
        "email": "buyer@example.com",
        "moderator": False,
    }

    # Prosody refuses the token before the window and once the grace is over.
    time_machine.move_to(OPENS - timedelta(seconds=1), tick=False)
    with pytest.raises(jwt.ImmatureSignatureError):
        claims_of(as_buyer)
    time_machine.move_to(CLOSES + timedelta(seconds=1), tick=False)
    with pytest.raises(jwt.ExpiredSignatureError):
        claims_of(as_buyer)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            parse_qs(urlsplit(as_buyer).query)["jwt"][0],
            "another-secret-that-is-long-enough-for-hs256",
            algorithms=["HS256"],
            audience="jitsi",
            options={"verify_exp": False},
        )


def test_the_operators_early_minutes_and_grace_shape_the_window_and_the_token(
    consulting, jitsi, django_capture_on_commit_callbacks
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    set_module_enabled(
        tenant=c.tenant,
        key="consulting",
        is_enabled=True,
        config={"join_early_minutes": 5, "video_grace_minutes": 45},
    )
    with schema_context(c.tenant.schema_name):
        window = video.join_window(booking)
        token = video.JitsiProvider().token(booking, participant=c.buyer, moderator=False, now=T0)
    assert window == (TEN_UTC - timedelta(minutes=5), TEN_UTC + timedelta(minutes=105))
    claims = jwt.decode(
        token, SECRET, algorithms=["HS256"], audience="jitsi", options={"verify_nbf": False}
    )
    assert (claims["nbf"], claims["exp"]) == tuple(int(t.timestamp()) for t in window)


def test_rooms_are_long_random_and_one_per_booking(
    consulting, jitsi, django_capture_on_commit_callbacks
):
    c = consulting
    first = booked(c, django_capture_on_commit_callbacks)
    second = booked(c, django_capture_on_commit_callbacks, TEN_UTC + timedelta(hours=2))
    assert first.room != second.room
    rooms = {new_room() for _ in range(200)}
    assert len(rooms) == 200
    assert all(len(room) == 32 for room in rooms)  # 24 random bytes, URL-safe base64
    with schema_context(c.tenant.schema_name):
        provider = video.JitsiProvider()
        names = {provider.room_name(first), provider.room_name(second)}
        assert provider.room_name(first).endswith(f"-{first.room.lower()}")
        assert provider.room_name(second).endswith(f"-{second.room.lower()}")
    assert len(names) == 2


@pytest.mark.parametrize("kind", ["jitsi", "own_link"])
def test_every_video_provider_keeps_the_contract(
    consulting, jitsi, kind, django_capture_on_commit_callbacks
):
    """What callers rely on, whichever adapter: a name the profile can choose, and an https
    link into a room that is the same for both sides of one booking (up to the token)."""
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    ada = user(c, c.seller.owner_id)
    provider: video.VideoProvider = (
        video.JitsiProvider() if kind == "jitsi" else video.OwnLinkProvider("https://x.example/r")
    )
    with schema_context(c.tenant.schema_name):
        links = [
            provider.join_link(booking, participant=who, moderator=who == ada, now=TEN_UTC)
            for who in (c.buyer, ada)
        ]
    assert provider.name == kind and kind in VideoProviderChoice.values
    assert all(link.startswith("https://") and " " not in link for link in links)
    assert len({link.split("?")[0] for link in links}) == 1


def test_without_a_secret_the_room_link_has_no_token(
    consulting, settings, django_capture_on_commit_callbacks
):
    settings.SOUK_JITSI_DOMAIN = DOMAIN
    settings.SOUK_JITSI_APP_SECRET = ""
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    with schema_context(c.tenant.schema_name):
        link = video.join_link_for(booking, participant=c.buyer, role="buyer", now=TEN_UTC)
        room = video.JitsiProvider().room_name(booking)
    assert link == f"https://{DOMAIN}/{room}"


def test_a_consultants_own_link_is_given_inside_the_window_only(
    consulting, client_for, time_machine, django_capture_on_commit_callbacks
):
    c = consulting
    with schema_context(c.tenant.schema_name):
        availability.set_profile(
            seller=c.seller,
            data=availability.ProfileData(
                time_zone="Europe/Berlin",
                video_provider="own_link",
                own_video_link="https://whereby.example/ada-room",
            ),
            bounds=ConsultingSettings(),
        )
    booking = booked(c, django_capture_on_commit_callbacks)
    with schema_context(c.tenant.schema_name):
        profile = Booking.objects.get(pk=booking.pk).consultant
        provider = video.provider_for(profile)
        assert isinstance(provider, video.OwnLinkProvider)
        assert provider.name == "own_link"
        fresh = Booking.objects.select_related("consultant").get(pk=booking.pk)
        inside = video.join_link_for(fresh, participant=c.buyer, role="buyer", now=TEN_UTC)
        before = video.join_link_for(fresh, participant=c.buyer, role="buyer", now=T0)
        after = video.join_link_for(fresh, participant=c.buyer, role="buyer", now=CLOSES)
    assert (before, inside, after) == (None, "https://whereby.example/ada-room", None)

    time_machine.move_to(TEN_UTC, tick=False)
    buyer = signed_in(client_for, c.tenant, "buyer@example.com")
    answer = call(buyer, "get", f"/consulting/bookings/{booking.pk}/video").json()
    assert answer["provider"] == "own_link"
    assert answer["url"] == "https://whereby.example/ada-room"
    page = buyer.get(f"/consulting/bookings/{booking.pk}/join/")
    assert page.status_code == 200
    assert 'href="https://whereby.example/ada-room"' in page.content.decode()


def test_the_join_page_and_api_before_inside_and_after_the_window(
    consulting, jitsi, client_for, time_machine, django_capture_on_commit_callbacks
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    buyer = signed_in(client_for, c.tenant, "buyer@example.com")
    ada = signed_in(client_for, c.tenant, user(c, c.seller.owner_id).email)
    page_path = f"/consulting/bookings/{booking.pk}/join/"
    buyer_api = f"/consulting/bookings/{booking.pk}/video"
    seller_api = f"/consulting/seller/bookings/{booking.pk}/video"

    # Before: when it opens, in the viewer's zone; no link anywhere.
    for client, api, opens in ((buyer, buyer_api, "04:50"), (ada, seller_api, "10:50")):
        answer = call(client, "get", api)
        assert answer.status_code == 200, answer.content
        assert answer.json() == {
            "provider": "jitsi",
            "opens_at": "2026-12-09T09:50:00Z",
            "closes_at": "2026-12-09T11:30:00Z",
            "url": None,
        }
        page = client.get(page_path)
        html = page.content.decode()
        assert page.status_code == 200
        assert 'data-join-state="upcoming"' in html
        assert '<button type="button" class="join-button" disabled>' in html
        assert f"{opens}</time>" in html
        assert DOMAIN not in html and "jwt" not in html
        assert page["Cache-Control"] == "private, no-store"
        assert page["Referrer-Policy"] == "no-referrer"
    assert "America/New_York" in buyer.get(page_path).content.decode()
    assert "Europe/Berlin" in ada.get(page_path).content.decode()

    # Inside (from the very minute it opens): each side's own link.
    time_machine.move_to(OPENS, tick=False)
    for client, api, moderator in ((buyer, buyer_api, False), (ada, seller_api, True)):
        url = call(client, "get", api).json()["url"]
        assert claims_of(url)["context"]["user"]["moderator"] is moderator
        page = client.get(page_path)
        html = page.content.decode()
        assert 'data-join-state="open"' in html
        assert "Join the session</a>" in html
        assert 'target="_blank" rel="noopener noreferrer"' in html
        link = html.split('id="join-link" type="text" readonly value="')[1].split('"')[0]
        assert claims_of(link.replace("&amp;", "&"))["context"]["user"]["moderator"] is moderator
        assert page["Cache-Control"] == "private, no-store"
        assert page["Referrer-Policy"] == "no-referrer"

    # After the grace: over.
    time_machine.move_to(CLOSES, tick=False)
    for client, api in ((buyer, buyer_api), (ada, seller_api)):
        assert call(client, "get", api).json()["url"] is None
        html = client.get(page_path).content.decode()
        assert "This session has ended" in html
        assert DOMAIN not in html and "jwt" not in html


def test_a_cancelled_session_has_no_link(
    consulting, jitsi, client_for, time_machine, django_capture_on_commit_callbacks
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    with schema_context(c.tenant.schema_name):
        cancel_by_consultant(seller=c.seller, booking_id=booking.pk)
    time_machine.move_to(TEN_UTC, tick=False)
    buyer = signed_in(client_for, c.tenant, "buyer@example.com")
    answer = call(buyer, "get", f"/consulting/bookings/{booking.pk}/video")
    assert answer.status_code == 200
    assert answer.json()["url"] is None
    html = buyer.get(f"/consulting/bookings/{booking.pk}/join/").content.decode()
    assert "This session was cancelled" in html
    assert DOMAIN not in html and "jwt" not in html
    with schema_context(c.tenant.schema_name):
        cancelled = Booking.objects.select_related("consultant").get(pk=booking.pk)
        assert (
            video.join_link_for(cancelled, participant=c.buyer, role="buyer", now=TEN_UTC) is None
        )


def test_only_the_buyer_and_the_consultants_side_reach_the_room(
    consulting, jitsi, client_for, time_machine, django_capture_on_commit_callbacks
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    unpaid = hold(c.tenant, c.buyer, c.session_type, TEN_UTC + timedelta(hours=3))
    with schema_context(c.tenant.schema_name):
        assistant = make_user(c.tenant, "assistant@example.com", full_name="Asa Assistant")
        intern = make_user(c.tenant, "intern@example.com")
        TeamMember.objects.create(seller=c.seller, user=assistant, permissions=["manage_products"])
        TeamMember.objects.create(seller=c.seller, user=intern, permissions=["view_analytics"])
        bob_email = User.objects.get(pk=c.other_seller.owner_id).email
    time_machine.move_to(TEN_UTC, tick=False)
    page_path = f"/consulting/bookings/{booking.pk}/join/"

    # The teammate with the module's permission joins as a moderator, under their own name.
    teammate = signed_in(client_for, c.tenant, "assistant@example.com")
    page = teammate.get(page_path)
    assert page.status_code == 200
    link = page.content.decode().split('id="join-link" type="text" readonly value="')[1]
    member = claims_of(link.split('"')[0].replace("&amp;", "&"))["context"]["user"]
    assert (member["name"], member["moderator"]) == ("Asa Assistant", True)
    answer = call(teammate, "get", f"/consulting/seller/bookings/{booking.pk}/video")
    assert claims_of(answer.json()["url"])["context"]["user"]["email"] == "assistant@example.com"

    other_buyer = signed_in(client_for, c.tenant, "other-buyer@example.com")
    bob = signed_in(client_for, c.tenant, bob_email)
    no_permission = signed_in(client_for, c.tenant, "intern@example.com")
    for outsider in (other_buyer, bob, no_permission):
        assert outsider.get(page_path).status_code == 404
    assert call(other_buyer, "get", f"/consulting/bookings/{booking.pk}/video").status_code == 404
    # Bob is a consultant too, but not this booking's: not found on his side either.
    bobs = call(bob, "get", f"/consulting/seller/bookings/{booking.pk}/video")
    assert bobs.status_code == 404
    # The seller router refuses a teammate without the permission before anything is looked up.
    refused = call(no_permission, "get", f"/consulting/seller/bookings/{booking.pk}/video")
    assert refused.status_code == 403
    assert DOMAIN not in refused.content.decode()
    # A booking in the buyer's own list but never paid has no session to join.
    buyer = signed_in(client_for, c.tenant, "buyer@example.com")
    assert buyer.get(f"/consulting/bookings/{unpaid.pk}/join/").status_code == 404
    assert call(buyer, "get", f"/consulting/bookings/{unpaid.pk}/video").status_code == 404
    # Signed out: the sign-in page, never the room.
    anonymous = client_for(c.tenant).get(page_path)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_another_marketplace_or_one_without_the_module_finds_no_such_booking(
    make_tenant, client_for, jitsi, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(T0, tick=False)
    first = make_consulting(make_consulting_tenant(make_tenant, "video-one"))
    second = make_consulting(make_consulting_tenant(make_tenant, "video-two"))
    off = make_tenant("video-off", modules=[]).tenant
    make_user(off, "buyer@example.com")
    booking = booked(first, django_capture_on_commit_callbacks)
    time_machine.move_to(TEN_UTC, tick=False)
    # The second marketplace has the same people (same e-mails) but no booking of that id.
    with schema_context(second.tenant.schema_name):
        assert not Booking.objects.filter(pk=booking.pk).exists()

    elsewhere = signed_in(client_for, second.tenant, "buyer@example.com")
    elsewhere_consultant = signed_in(
        client_for, second.tenant, user(second, second.seller.owner_id).email
    )
    without = signed_in(client_for, off, "buyer@example.com")
    for client in (elsewhere, elsewhere_consultant, without):
        assert client.get(f"/consulting/bookings/{booking.pk}/join/").status_code == 404
        assert call(client, "get", f"/consulting/bookings/{booking.pk}/video").status_code == 404
    seller_api = f"/consulting/seller/bookings/{booking.pk}/video"
    assert call(elsewhere_consultant, "get", seller_api).status_code == 404
    owner = signed_in(client_for, first.tenant, "buyer@example.com")
    assert owner.get(f"/consulting/bookings/{booking.pk}/join/").status_code == 200


def test_the_booking_pages_join_partial_is_live_only_inside_the_window(
    consulting, jitsi, django_capture_on_commit_callbacks
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    with schema_context(c.tenant.schema_name):
        path = video.join_path(booking)

        def shown(now: datetime, row: Booking = booking) -> str:
            return render_to_string("consulting/partials/join.html", {"booking": row, "now": now})

        before, inside, after = shown(T0), shown(TEN_UTC), shown(CLOSES)
        for_consultant = render_to_string(
            "consulting/partials/join.html", {"booking": booking, "now": T0, "role": "consultant"}
        )
        cancel_by_consultant(seller=c.seller, booking_id=booking.pk)
        cancelled = shown(TEN_UTC, Booking.objects.select_related("consultant").get(pk=booking.pk))
    assert path == f"/consulting/bookings/{booking.pk}/join/"
    assert 'data-join-state="upcoming"' in before and "disabled>Join the session" in before
    # In the viewer's zone: the buyer's New York, the consultant's Berlin.
    assert "Wed 9 Dec, 04:50 EST</time>" in before
    assert "Wed 9 Dec, 10:50 CET</time>" in for_consultant
    assert f'<a class="button join-button" href="{path}">Join the session</a>' in inside
    assert "This session has ended" in after and "join-button" not in after
    assert "join-panel" not in cancelled
    for html in (before, inside, after):
        assert DOMAIN not in html and "jwt" not in html  # the link lives on the join page only


def test_the_join_page_in_chromium_before_inside_and_after_the_window(
    django_db_setup: None,
    django_db_blocker: Any,
    chromium_executable: str,  # noqa: F811
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """The server runs on the real clock: three booked sessions, moved (in the set-up only)
    to open now, later, and long past, seen by the buyer in New York at 1280 and 390 px."""
    with (
        django_db_blocker.unblock(),
        marketplace_with_operator(
            slug="consult-video-browser",
            name="Consult Corner",
            operator_email="op@video.example",
            modules=["consulting"],
        ) as market,
    ):
        c = make_consulting(market.tenant)
        day = (timezone.now() + timedelta(days=3)).date()
        while day.weekday() > 4:
            day += timedelta(days=1)
        starts = [slot.starts_at for slot in free(market.tenant, c.session_type, day)][:5:2]
        bookings = []
        for starts_at in starts:
            with schema_context(market.tenant.schema_name):
                held = hold_slot(
                    buyer=c.buyer,
                    session_type_id=c.session_type.pk,
                    starts_at=starts_at,
                    buyer_zone="America/New_York",
                )
            pay(market.tenant, c.buyer, held, lambda execute: contextlib.nullcontext())
            bookings.append(held.pk)
        now = timezone.now()
        with schema_context(market.tenant.schema_name):
            for pk, starts_at in (
                (bookings[0], now + timedelta(minutes=5)),
                (bookings[2], now - timedelta(hours=3)),
            ):
                Booking.objects.filter(pk=pk).update(
                    starts_at=starts_at, ends_at=starts_at + timedelta(hours=1)
                )
        use_public_schema()
        states = dict(zip(("open", "upcoming", "ended"), bookings, strict=True))
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
                _sign_in(
                    page,
                    server.url(
                        market.host,
                        f"/accounts/login/?next=/consulting/bookings/{states['upcoming']}/join/",
                    ),
                    c.buyer.email,
                )
                expect(page.locator(".consult-join")).to_have_attribute(
                    "data-join-state", "upcoming"
                )
                expect(page.locator("button.join-button")).to_be_disabled()
                expect(page.locator(".join-card")).to_contain_text("America/New_York")
                assert page_width(page) <= width
                _shot(page, tmp_path, f"consulting-join-upcoming-{width}")

                page.goto(server.url(market.host, f"/consulting/bookings/{states['open']}/join/"))
                join = page.get_by_role("link", name="Join the session")
                expect(join).to_have_attribute("target", "_blank")
                assert (join.get_attribute("href") or "").startswith("https://")
                assert page_width(page) <= width
                _shot(page, tmp_path, f"consulting-join-open-{width}")

                page.goto(server.url(market.host, f"/consulting/bookings/{states['ended']}/join/"))
                expect(page.locator(".join-card")).to_contain_text("This session has ended")
                assert page_width(page) <= width
                _shot(page, tmp_path, f"consulting-join-ended-{width}")
                context.close()
            browser.close()
