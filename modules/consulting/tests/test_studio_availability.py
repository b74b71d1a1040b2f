"""The consultant's availability editor and session types in the studio: saving the
profile, the weekly hours and a date changes the slots buyers are offered; a refused form
shows the error beside its field with everything as typed and writes nothing; row buttons
re-draw a section without saving; session types take prices in major units exactly. A
teammate without ``manage_products`` gets 403; another seller's product, another marketplace
and the module switched off are 404."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context
from playwright.sync_api import expect, sync_playwright

from core.accounts.models import Role, User
from core.sellers.models import Seller, TeamMember
from modules.consulting.models import ConsultantProfile, DateOverride, SessionType, WeeklyRule
from modules.consulting.tests.browser_helpers import shot as _shot
from modules.consulting.tests.helpers import (
    Consulting,
    free,
    make_consulting,
    make_consulting_tenant,
)
from tenants.models import Tenant
from tenants.schemas_sql import use_public_schema
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import PASSWORD, make_user, sign_in
from tests.browser.conftest import (  # noqa: F401
    CHROMIUM_ARGS,
    _running_server,
    chromium_executable,
    marketplace_with_operator,
    page_width,
    wait_until,
)
from tests.catalog_helpers import make_product

PAGE = "/studio/consulting/availability/"
TYPES = "/studio/consulting/session-types/"
TUESDAY, WEDNESDAY, THURSDAY = date(2026, 12, 8), date(2026, 12, 9), date(2026, 12, 10)
HX = {"HX-Request": "true"}


def _text(response: Any) -> str:
    return str(response.content.decode())


def _signed_in(client_for: Any, tenant: Tenant, user: User) -> Client:
    client: Client = client_for(tenant)
    assert sign_in(client, user.email).json()["status"] == "signed_in"
    return client


def _owner(client_for: Any, tenant: Tenant, seller: Seller) -> Client:
    with schema_context(tenant.schema_name):
        user = User.objects.get(pk=seller.owner_id)
    return _signed_in(client_for, tenant, user)


def _berlin_starts(consulting: Consulting, day: date, session_type: Any = None) -> list[str]:
    """Ada's free starts on ``day`` in Berlin, from the profile as stored now."""
    with schema_context(consulting.tenant.schema_name):
        fresh = SessionType.objects.select_related("consultant").get(
            pk=(session_type or consulting.session_type).pk
        )
    slots = free(consulting.tenant, fresh, day, "Europe/Berlin")
    return [slot.starts_at.strftime("%H:%M") for slot in slots]


def _profile_form(**changed: Any) -> dict[str, Any]:
    """The profile section as the page posts it (Ada's stored values), with ``changed``."""
    form: dict[str, Any] = {
        "time_zone": "Europe/Berlin",
        "buffer_before": "0",
        "buffer_after": "0",
        "min_notice": "120",
        "horizon_mode": "rolling",
        "horizon_days": "60",
        "horizon_start": "",
        "horizon_end": "",
        "slot_interval": "30",
        "max_per_day": "",
        "max_per_week": "",
        "video_provider": "jitsi",
        "own_video_link": "",
        "reminder-amount": ["24", "1", ""],
        "reminder-unit": ["hours", "hours", "hours"],
        "tier-hours": ["48", "24"],
        "tier-percent": ["100", "50"],
        "late_refund_percent": "0",
        "reschedule_cutoff_hours": "24",
        "cancellation_cutoff_hours": "0",
        "save": "profile",
    }
    form.update(changed)
    return form


def _stored(consulting: Consulting) -> ConsultantProfile:
    with schema_context(consulting.tenant.schema_name):
        return ConsultantProfile.objects.get(pk=consulting.profile.pk)


def _weekly(days: dict[int, list[tuple[str, str]]]) -> dict[str, Any]:
    form: dict[str, Any] = {"save": "weekly"}
    for day, windows in days.items():
        form[f"day{day}-start"] = [start for start, _ in windows]
        form[f"day{day}-end"] = [end for _, end in windows]
    return form


def _rules(consulting: Consulting) -> list[tuple[int, int, int]]:
    with schema_context(consulting.tenant.schema_name):
        return list(
            WeeklyRule.objects.filter(consultant=consulting.profile)
            .order_by("weekday", "start_minute")
            .values_list("weekday", "start_minute", "end_minute")
        )


def test_the_page_shows_the_stored_availability_and_what_buyers_see(consulting, client_for):
    ada = _owner(client_for, consulting.tenant, consulting.seller)
    page = ada.get(PAGE)
    assert page.status_code == 200
    text = _text(page)
    assert 'value="Europe/Berlin"' in text
    assert 'name="day0-start" value="09:00"' in text and 'name="day0-end" value="17:00"' in text
    assert text.count('class="unavailable">Unavailable<') == 2  # Saturday and Sunday
    assert "at most <strong>168 hours</strong>" in text  # the operator's bound beside the policy
    # The preview: today (Monday in Berlin) from 11:00 (two hours' notice), in Ada's zone.
    assert '<time datetime="2026-12-07T11:00:00+01:00">11:00</time>' in text
    workshop = ada.get(f"{PAGE}preview/?type={consulting.workshop.pk}", headers=HX)
    assert "Group workshop (90 min)" in _text(workshop)
    assert '<time datetime="2026-12-08T15:30:00+01:00">15:30</time>' in _text(workshop)
    assert '<time datetime="2026-12-08T16:00:00+01:00">' not in _text(workshop)


def test_saving_the_profile_changes_the_slots_buyers_are_offered(consulting, client_for):
    ada = _owner(client_for, consulting.tenant, consulting.seller)
    assert len(_berlin_starts(consulting, TUESDAY)) == 15  # 09:00 .. 16:00 every 30 minutes

    saved = ada.post(f"{PAGE}profile/", _profile_form(slot_interval="60", buffer_after="15"))
    assert (saved.status_code, saved["Location"]) == (302, f"{PAGE}#profile")
    assert "Saved your profile." in _text(ada.get(PAGE))
    assert _berlin_starts(consulting, TUESDAY) == [f"{h:02d}:00" for h in range(9, 17)]

    ranged = ada.post(
        f"{PAGE}profile/",
        _profile_form(
            horizon_mode="range",
            horizon_start="2026-12-09",
            horizon_end="2026-12-10",
            video_provider="own_link",
            own_video_link="https://meet.example.com/ada",
            **{"reminder-amount": ["2", "", ""], "reminder-unit": ["days", "hours", "hours"]},
            **{"tier-hours": ["72", "12"], "tier-percent": ["100", "25"]},
        ),
        headers=HX,
    )
    assert ranged.status_code == 200
    assert "Saved your profile." in _text(ranged) and 'id="profile"' in _text(ranged)
    assert "<html" not in _text(ranged)  # htmx gets the section alone
    assert _berlin_starts(consulting, TUESDAY) == []
    assert len(_berlin_starts(consulting, WEDNESDAY)) == 15
    assert _berlin_starts(consulting, date(2026, 12, 11)) == []
    profile = _stored(consulting)
    assert (profile.horizon_start, profile.horizon_end) == (WEDNESDAY, THURSDAY)
    assert (profile.video_provider, profile.own_video_link) == (
        "own_link",
        "https://meet.example.com/ada",
    )
    assert profile.reminder_minutes == [2880]
    assert profile.policy["refund_tiers"] == [[72, 100], [12, 25]]
    page = _text(ada.get(PAGE))
    assert 'name="horizon_mode" value="range" checked' in page
    assert 'name="tier-hours" value="72"' in page


def test_the_weekly_hours_are_saved_per_section_and_rows_move_without_saving(
    consulting, client_for
):
    ada = _owner(client_for, consulting.tenant, consulting.seller)
    two_windows = _weekly({1: [("10:00", "12:00"), ("13:00", "14:00")], 0: [("09:00", "17:00")]})

    added = ada.post(f"{PAGE}weekly/", {**two_windows, "op": "add:5"}, headers=HX)
    assert added.status_code == 200
    assert 'name="day5-start" value="09:00"' in _text(added)  # Saturday gets a window to edit
    assert 'name="day1-start" value="13:00"' in _text(added)  # what was typed stays
    copied = ada.post(f"{PAGE}weekly/", {**two_windows, "op": "copy"}, headers=HX)
    assert _text(copied).count('value="09:00"') == 5  # Monday's hours on every weekday
    assert "Copy Monday to weekdays" in _text(copied)
    assert len(_rules(consulting)) == 5  # nothing saved by a row button

    saved = ada.post(f"{PAGE}weekly/", two_windows, headers=HX)
    assert saved.status_code == 200 and "Saved your weekly hours." in _text(saved)
    assert _rules(consulting) == [(0, 540, 1020), (1, 600, 720), (1, 780, 840)]
    assert _berlin_starts(consulting, TUESDAY) == ["10:00", "10:30", "11:00", "13:00"]
    assert _berlin_starts(consulting, WEDNESDAY) == []
    assert "Unavailable" in _text(saved)

    # Without JavaScript: the same form posts the page and Save redirects with a flash.
    late = ada.post(f"{PAGE}weekly/", _weekly({2: [("18:00", "00:00")]}))
    assert (late.status_code, late["Location"]) == (302, f"{PAGE}#weekly")
    assert _rules(consulting) == [(2, 1080, 1440)]
    assert _berlin_starts(consulting, WEDNESDAY)[-1] == "23:00"


def test_a_date_off_or_with_other_hours_replaces_the_weekly_hours_and_can_be_removed(
    consulting, client_for
):
    ada = _owner(client_for, consulting.tenant, consulting.seller)
    off = ada.post(f"{PAGE}overrides/", {"date": "2026-12-09", "kind": "off"}, headers=HX)
    assert off.status_code == 200 and "Saved Wednesday 9 December 2026." in _text(off)
    assert _berlin_starts(consulting, WEDNESDAY) == []
    assert "Day off" in _text(off)

    other_hours = {"date": "2026-12-10", "kind": "custom", "ov-start": "14:00", "ov-end": "15:30"}
    more = ada.post(f"{PAGE}overrides/", {**other_hours, "op": "add"}, headers=HX)
    assert _text(more).count('name="ov-start"') == 2 and 'value="15:30"' in _text(more)
    done = ada.post(f"{PAGE}overrides/", other_hours)
    assert (done.status_code, done["Location"]) == (302, f"{PAGE}#overrides")
    assert _berlin_starts(consulting, THURSDAY) == ["14:00", "14:30"]
    assert "14:00 - 15:30" in _text(ada.get(PAGE))

    removed = ada.post(f"{PAGE}overrides/2026-12-09/remove/", headers=HX)
    assert removed.status_code == 200 and "Removed 9 December 2026." in _text(removed)
    assert len(_berlin_starts(consulting, WEDNESDAY)) == 15
    assert ada.post(f"{PAGE}overrides/2026-12-09/remove/").status_code == 404

    past = ada.post(f"{PAGE}overrides/", {"date": "2026-12-01", "kind": "off"}, headers=HX)
    assert past.status_code == 200 and "Pick today or a later date." in _text(past)
    empty = ada.post(f"{PAGE}overrides/", {"date": "2026-12-11", "kind": "custom"}, headers=HX)
    assert "Add a window, or choose a day off." in _text(empty)
    with schema_context(consulting.tenant.schema_name):
        assert list(DateOverride.objects.values_list("date", flat=True)) == [THURSDAY]


def test_refused_input_shows_the_error_by_its_field_keeps_the_typing_and_writes_nothing(
    consulting, client_for
):
    ada = _owner(client_for, consulting.tenant, consulting.seller)
    before = _stored(consulting)

    overlapping = _weekly({0: [("09:00", "12:00"), ("11:00", "13:00")], 3: [("08:15", "10:45")]})
    refused = ada.post(f"{PAGE}weekly/", overlapping, headers=HX)
    assert refused.status_code == 200  # htmx swaps in only a 2xx answer
    text = _text(refused)
    assert "09:00 - 12:00 and 11:00 - 13:00 overlap." in text
    assert 'id="day0-error"' in text
    assert 'name="day0-start" value="11:00"' in text and 'name="day3-end" value="10:45"' in text
    assert len(_rules(consulting)) == 5

    cases = [
        ({"time_zone": "Mars/Base"}, "Give an IANA time zone.", 'value="Mars/Base"'),
        (
            {"tier-hours": ["200", "24"], "tier-percent": ["100", "50"]},
            "This marketplace allows at most 168 hours of notice.",
            'name="tier-hours" value="200"',
        ),
        (
            {
                "horizon_mode": "range",
                "horizon_start": "2026-12-20",
                "horizon_end": "2026-12-10",
            },
            "Ends before it starts.",
            'value="2026-12-20"',
        ),
        (
            {"video_provider": "own_link", "own_video_link": "http://meet.example.com/ada"},
            "Give the https:// link of your own meeting room.",
            'value="http://meet.example.com/ada"',
        ),
        ({"buffer_before": "ten"}, "Give a whole number.", 'value="ten"'),
    ]
    for changed, message, kept in cases:
        response = ada.post(f"{PAGE}profile/", _profile_form(min_notice="45", **changed))
        text = _text(response)
        assert response.status_code == 422, changed
        assert message in text, changed
        assert kept in text and 'name="min_notice" value="45"' in text, changed
        assert 'aria-invalid="true"' in text
    assert _stored(consulting).updated_at == before.updated_at  # nothing was written
    assert _stored(consulting).min_notice == 120


def test_session_types_take_their_terms_per_row_and_show_what_is_not_bookable(
    consulting, client_for
):
    tenant = consulting.tenant
    intro = make_product(tenant, consulting.seller, "Intro chat", price=0, product_type="consult")
    ada = _owner(client_for, tenant, consulting.seller)
    page = _text(ada.get(TYPES))
    assert "Strategy call" in page and 'value="100.00"' in page
    assert "Not bookable yet &mdash; set its length and price" in page

    bad = ada.post(
        f"{TYPES}{intro.pk}/",
        {"minutes": "45", "price": "12.345", "currency": "USD", "seats": "1"},
        headers=HX,
    )
    assert bad.status_code == 200 and "Not saved" in _text(bad)
    assert "Give a price in USD, like 150.00." in _text(bad) and 'value="12.345"' in _text(bad)
    too_long = ada.post(
        f"{TYPES}{intro.pk}/",
        {"minutes": "900", "price": "20", "currency": "USD", "seats": "1"},
        headers=HX,
    )
    assert "Between 5 and 720." in _text(too_long) and 'value="900"' in _text(too_long)

    saved = ada.post(
        f"{TYPES}{intro.pk}/",
        {"minutes": "45", "price": "120.5", "currency": "JPY", "seats": "1"},
        headers=HX,
    )
    assert "Give a price in JPY, like 150." in _text(saved)  # yen has no minor unit
    saved = ada.post(
        f"{TYPES}{intro.pk}/",
        {"minutes": "45", "price": "120.50", "currency": "EUR", "seats": "4", "is_active": "on"},
        headers=HX,
    )
    assert saved.status_code == 200 and "Saved Intro chat." in _text(saved)
    with schema_context(tenant.schema_name):
        terms = SessionType.objects.get(product=intro)
    assert (terms.minutes, terms.price, terms.currency, terms.seats) == (45, 12050, "EUR", 4)
    starts = _berlin_starts(consulting, TUESDAY, terms)
    assert (len(starts), starts[-1]) == (15, "16:00")  # every 30 minutes, ending by 17:00
    assert "Not bookable yet" not in _text(ada.get(TYPES))

    # Paused (the box unticked): still listed, no longer offered; without htmx a refusal is
    # the page again (422) and a save redirects back to the row.
    paused = ada.post(
        f"{TYPES}{intro.pk}/",
        {"minutes": "45", "price": "120.50", "currency": "EUR", "seats": "4"},
    )
    assert (paused.status_code, paused["Location"]) == (302, f"{TYPES}#type-{intro.pk}")
    with schema_context(tenant.schema_name):
        assert SessionType.objects.get(product=intro).is_active is False
    assert "Paused" in _text(ada.get(TYPES))
    assert "Intro chat" not in _text(ada.get(PAGE))  # not in the preview's choice
    refused = ada.post(f"{TYPES}{intro.pk}/", {"minutes": "x", "price": "1", "currency": "EUR"})
    assert refused.status_code == 422 and 'value="x"' in _text(refused)
    assert "Group workshop" in _text(refused)  # the other rows as stored


def test_teammates_without_products_other_sellers_other_marketplaces_and_module_off(
    consulting, client_for, make_tenant
):
    elsewhere = make_consulting(make_consulting_tenant(make_tenant, "other-consult-market"))
    tenant = consulting.tenant
    orders_only = make_user(tenant, "orders@example.com", role=Role.SELLER)
    with schema_context(tenant.schema_name):
        TeamMember.objects.create(
            seller=consulting.seller, user=orders_only, permissions=["process_orders"]
        )
    teammate = _signed_in(client_for, tenant, orders_only)
    assert teammate.get(PAGE).status_code == 403
    assert teammate.get(TYPES).status_code == 403
    assert teammate.post(f"{PAGE}profile/", _profile_form(min_notice="0")).status_code == 403
    assert _stored(consulting).min_notice == 120

    terms = {"minutes": "30", "price": "1.00", "currency": "USD", "seats": "1"}
    product_id = consulting.session_type.product_id
    other = _owner(client_for, tenant, consulting.other_seller)
    assert other.post(f"{TYPES}{product_id}/", terms).status_code == 404
    assert "Strategy call" not in _text(other.get(TYPES))
    assert "Strategy call" not in _text(other.get(PAGE))

    stranger = _owner(client_for, elsewhere.tenant, elsewhere.seller)
    with schema_context(tenant.schema_name):
        missing = max(SessionType.objects.values_list("product_id", flat=True)) + 100
    assert stranger.post(f"{TYPES}{missing}/", terms).status_code == 404
    with schema_context(tenant.schema_name):
        assert SessionType.objects.get(pk=consulting.session_type.pk).minutes == 60

    ada = _owner(client_for, tenant, consulting.seller)
    set_module_enabled(tenant=tenant, key="consulting", is_enabled=False)
    assert ada.get(PAGE).status_code == 404
    assert ada.get(TYPES).status_code == 404
    assert ada.post(f"{PAGE}weekly/", _weekly({0: [("10:00", "11:00")]})).status_code == 404
    assert ada.post(f"{TYPES}{product_id}/", terms).status_code == 404
    assert len(_rules(consulting)) == 5


# --- in Chromium, at desktop and phone widths ----------------------------------------------


def test_the_editor_in_chromium_at_1280_and_390_px(
    django_db_setup: None,
    django_db_blocker: Any,
    chromium_executable: str,  # noqa: F811
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """A window added and saved with htmx (no reload), a refused zone kept as typed, the
    session types page; neither page scrolls sideways at 390 px."""
    with (
        django_db_blocker.unblock(),
        marketplace_with_operator(
            slug="consult-studio-browser",
            name="Consult Corner",
            operator_email="op@consult-studio.example",
            modules=["consulting"],
        ) as market,
    ):
        c = make_consulting(market.tenant)
        make_product(market.tenant, c.seller, "Intro chat", price=0, product_type="consult")
        with schema_context(market.tenant.schema_name):
            email = User.objects.get(pk=c.seller.owner_id).email
        use_public_schema()
        with (
            _running_server(market.host, tmp_path, request) as server,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(
                executable_path=chromium_executable, args=CHROMIUM_ARGS
            )
            for width in (1280, 390):
                context = browser.new_context(
                    viewport={"width": width, "height": 900}, timezone_id="Asia/Tokyo"
                )
                page = context.new_page()
                page.goto(server.url(market.host, f"/accounts/login/?next={PAGE}"))
                page.get_by_label("E-mail address").fill(email)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                expect(page.get_by_role("heading", name="Availability", exact=True)).to_be_visible()
                expect(page.locator("[data-browser-zone]")).to_contain_text("Asia/Tokyo")
                assert page_width(page) <= width
                _shot(page, tmp_path, f"consulting-availability-{width}")

                page.evaluate("window.notReloaded = true")
                weekday, name = (5, "Saturday") if width == 1280 else (6, "Sunday")
                day = page.locator(f'.day[data-day="{weekday}"]')
                day.get_by_role("button", name=f"Add a window on {name}").click()
                expect(day.locator('input[type="time"]')).to_have_count(2)
                day.locator(f'input[name="day{weekday}-start"]').fill("10:00")
                day.locator(f'input[name="day{weekday}-end"]').fill("13:30")
                page.get_by_role("button", name="Save weekly hours").click()
                expect(page.locator("#weekly .flash")).to_have_text("Saved your weekly hours.")
                assert page.evaluate("window.notReloaded === true")

                page.locator("#time_zone").fill("Mars/Base")
                page.get_by_role("button", name="Save profile").click()
                expect(page.locator("#time_zone-error")).to_have_text("Give an IANA time zone.")
                expect(page.locator("#time_zone")).to_have_value("Mars/Base")
                page.locator("[data-use-zone]").click()
                expect(page.locator("#time_zone")).to_have_value("Asia/Tokyo")
                assert page_width(page) <= width
                _shot(page, tmp_path, f"consulting-availability-errors-{width}")

                page.goto(server.url(market.host, TYPES))
                expect(page.locator(".type")).to_have_count(3)
                expect(page.locator(".badge.warn")).to_have_count(1 if width == 1280 else 0)
                intro = page.locator(".type", has_text="Intro chat")
                intro.get_by_label("Length (minutes)").fill("30")
                intro.get_by_label("Price").fill("45.50")
                intro.get_by_role("button", name="Save").click()
                saved = page.locator(".type", has_text="Intro chat")
                expect(saved.locator(".flash")).to_have_text("Saved Intro chat.")
                expect(saved).to_contain_text("Bookable")
                assert page_width(page) <= width
                _shot(page, tmp_path, f"consulting-session-types-{width}")
                context.close()
            browser.close()
        with schema_context(market.tenant.schema_name):
            weekend = WeeklyRule.objects.filter(consultant=c.profile, weekday__gte=5)
            assert sorted(weekend.values_list("weekday", "start_minute", "end_minute")) == [
                (5, 600, 810),
                (6, 600, 810),
            ]
            assert SessionType.objects.get(product__name="Intro chat").price == 4550
