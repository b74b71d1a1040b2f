"""Book-again offers: after a session the consultant offers one of their session types at a
price up to its own, for 1-60 days; the buyer is told, with a link to the product page; a
hold made from the offer takes its price through the checkout and uses it up (once, even
with two holds racing for it); a hold that expires unpaid gives it back. Another buyer's
offer, another consultant's booking and another marketplace's offer are not found."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect, sync_playwright

from core.accounts.models import User
from core.commerce.models import OrderLine
from core.deadlines.sweep import sweep_due_deadlines
from core.notifications.models import Notification
from modules.consulting.aftercare_context import aftercare_context
from modules.consulting.errors import ConsultingError, ConsultingErrorCode
from modules.consulting.models import Booking, BookingStatus, RebookOffer
from modules.consulting.services import rebook
from modules.consulting.services.booking import hold_slot
from modules.consulting.tests.browser_helpers import shot as _shot
from modules.consulting.tests.browser_helpers import sign_in as _sign_in
from modules.consulting.tests.helpers import (
    Consulting,
    free,
    hold,
    make_consultant,
    make_consulting,
    make_consulting_tenant,
    make_session_type,
    pay,
    refreshed,
)
from tenants.models import Domain, Tenant
from tenants.schemas_sql import drop_schema, use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.accounts_helpers import call, make_user, sign_in
from tests.browser.conftest import (  # noqa: F401
    CHROMIUM_ARGS,
    _running_server,
    chromium_executable,
    marketplace_with_operator,
    page_width,
)
from tests.concurrency import run_together
from tests.fleet_helpers import TEST_POOL_SIZE

TEN = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)  # Wednesday; ends at 11:00
NEXT_WEEK = datetime(2026, 12, 16, 10, 0, tzinfo=UTC)


def past_session(c: Consulting, capture: Any, time_machine: Any) -> Booking:
    booking = hold(c.tenant, c.buyer, c.session_type, TEN)
    pay(c.tenant, c.buyer, booking, capture)
    time_machine.move_to(TEN + timedelta(hours=1), tick=False)
    return refreshed(c.tenant, booking)


def offer_for(c: Consulting, booking: Booking, price: int = 7500, **data: Any) -> RebookOffer:
    with schema_context(c.tenant.schema_name):
        return rebook.create_offer(
            seller=c.seller,
            booking_id=booking.pk,
            data=rebook.OfferData(session_type_id=c.session_type.pk, price=price, **data),
        )


def test_an_offer_after_the_session_is_sent_to_the_buyer_within_its_bounds(
    consulting, django_capture_on_commit_callbacks, time_machine
):
    c = consulting
    booking = hold(c.tenant, c.buyer, c.session_type, TEN)
    pay(c.tenant, c.buyer, booking, django_capture_on_commit_callbacks)
    with pytest.raises(ConsultingError) as early:
        offer_for(c, booking)
    assert early.value.kind == "conflict"

    time_machine.move_to(TEN + timedelta(hours=1), tick=False)
    refusals = {
        "price": {"price": 10001},
        "price ": {"price": 0},
        "expires_in_days": {"expires_in_days": 61},
        "message": {"message": "x" * 501},
    }
    for field, data in refusals.items():
        with pytest.raises(ConsultingError) as refused:
            offer_for(c, booking, **data)
        assert refused.value.code == ConsultingErrorCode.INVALID_REBOOK_OFFER
        assert refused.value.details == {"field": field.strip()}
    with schema_context(c.tenant.schema_name):
        with pytest.raises(ConsultingError) as theirs:
            rebook.create_offer(
                seller=c.other_seller,
                booking_id=booking.pk,
                data=rebook.OfferData(session_type_id=c.session_type.pk, price=5000),
            )
        assert theirs.value.kind == "not_found"
    offer = offer_for(c, booking, message="Same time next month?", expires_in_days=30)

    assert (offer.price, offer.currency) == (7500, "USD")
    assert offer.expires_at == TEN + timedelta(hours=1, days=30)
    with schema_context(c.tenant.schema_name):
        [told] = Notification.objects.filter(type_key="consulting.rebook_offer")
        slug = c.session_type.product.slug
    assert told.user_id == c.buyer.pk
    assert told.url == f"/p/{slug}/?rebook={offer.pk}"
    assert told.body == "Same time next month?"
    assert "75.00" in told.title


def test_the_offer_price_goes_through_the_checkout_and_the_offer_is_used_once(
    consulting, django_capture_on_commit_callbacks, time_machine
):
    c = consulting
    offer = offer_for(c, past_session(c, django_capture_on_commit_callbacks, time_machine))
    with schema_context(c.tenant.schema_name):
        with pytest.raises(ConsultingError) as theirs:
            hold_slot(
                buyer=c.other_buyer,
                session_type_id=c.session_type.pk,
                starts_at=NEXT_WEEK,
                rebook_offer_id=offer.pk,
            )
        assert theirs.value.kind == "not_found"
        with pytest.raises(ConsultingError) as other_type:
            hold_slot(
                buyer=c.buyer,
                session_type_id=c.workshop.pk,
                starts_at=NEXT_WEEK,
                rebook_offer_id=offer.pk,
            )
        assert other_type.value.details == {"field": "rebook_offer_id"}
        held = hold_slot(
            buyer=c.buyer,
            session_type_id=c.session_type.pk,
            starts_at=NEXT_WEEK,
            rebook_offer_id=offer.pk,
        )
        with pytest.raises(ConsultingError) as used:
            hold_slot(
                buyer=c.buyer,
                session_type_id=c.session_type.pk,
                starts_at=NEXT_WEEK + timedelta(hours=2),
                rebook_offer_id=offer.pk,
            )
    assert used.value.code == ConsultingErrorCode.REBOOK_OFFER_UNAVAILABLE
    assert (held.amount, held.rebook_offer_id) == (7500, offer.pk)

    pay(c.tenant, c.buyer, held, django_capture_on_commit_callbacks)
    booking = refreshed(c.tenant, held)
    assert booking.status == BookingStatus.BOOKED
    with schema_context(c.tenant.schema_name):
        line = OrderLine.objects.get(pk=booking.order_line_id)
        assert RebookOffer.objects.get(pk=offer.pk).used_at is not None
    assert line.total == 7500


def test_an_expired_hold_gives_the_offer_back_and_an_expired_offer_is_refused(
    consulting, django_capture_on_commit_callbacks, time_machine
):
    c = consulting
    offer = offer_for(
        c,
        past_session(c, django_capture_on_commit_callbacks, time_machine),
        expires_in_days=1,
    )
    now = timezone.now()
    with schema_context(c.tenant.schema_name):
        hold_slot(
            buyer=c.buyer,
            session_type_id=c.session_type.pk,
            starts_at=NEXT_WEEK,
            rebook_offer_id=offer.pk,
        )
        time_machine.move_to(now + timedelta(minutes=16), tick=False)
        sweep_due_deadlines(now=now + timedelta(minutes=16))
        assert RebookOffer.objects.get(pk=offer.pk).used_at is None
        assert rebook.usable_offer(c.buyer, offer.pk).pk == offer.pk

    time_machine.move_to(now + timedelta(days=1), tick=False)
    with schema_context(c.tenant.schema_name), pytest.raises(ConsultingError) as expired:
        hold_slot(
            buyer=c.buyer,
            session_type_id=c.session_type.pk,
            starts_at=NEXT_WEEK,
            rebook_offer_id=offer.pk,
        )
    assert expired.value.message == "This offer was used or has expired."
    assert NEXT_WEEK in [s.starts_at for s in free(c.tenant, c.session_type, NEXT_WEEK.date())]


def test_another_marketplaces_offer_is_not_found(
    make_tenant, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(TEN - timedelta(days=2), tick=False)
    first = make_consulting(make_consulting_tenant(make_tenant, "rebook-one"))
    second = make_consulting(make_consulting_tenant(make_tenant, "rebook-two"))
    offer = offer_for(first, past_session(first, django_capture_on_commit_callbacks, time_machine))
    with schema_context(second.tenant.schema_name):
        assert not RebookOffer.objects.filter(pk=offer.pk).exists()
        with pytest.raises(ConsultingError) as elsewhere:
            hold_slot(
                buyer=second.buyer,
                session_type_id=second.session_type.pk,
                starts_at=NEXT_WEEK,
                rebook_offer_id=offer.pk,
            )
        assert elsewhere.value.kind == "not_found"
        assert list(rebook.offers_of_buyer(second.buyer)) == []


# --- a race with real commits -------------------------------------------------------------

SLUG = "consult-rebook-race"
SCHEMA = "t_consult_rebook_race"


def _drop() -> None:
    Domain.objects.filter(tenant__slug=SLUG).delete()
    Tenant.objects.filter(slug=SLUG).delete()
    drop_schema(SCHEMA)


@pytest.fixture(scope="module")
def committed_tenant(django_db_setup: None, django_db_blocker: Any) -> Iterator[Tenant]:
    with django_db_blocker.unblock():
        _drop()
        tenant = provision_tenant(
            slug=SLUG,
            name="Consult Rebook Race",
            owner_email="owner@rebook-race.example",
            owner_password=None,
            modules=["consulting"],
        ).tenant
        use_public_schema()
        yield tenant
        use_public_schema()
        _drop()
        fill_schema_pool(size=TEST_POOL_SIZE)
        use_public_schema()


def test_two_holds_racing_for_one_offer_use_it_once(committed_tenant, django_db_blocker):
    tenant = committed_tenant
    with django_db_blocker.unblock():
        seller, profile = make_consultant(tenant, "ada")
        call = make_session_type(tenant, profile, seller, "Strategy call")
        buyer = make_user(tenant, "racer@example.com")
        day = (timezone.now() + timedelta(days=3)).date()
        while day.weekday() > 4:
            day += timedelta(days=1)
        first, second, third = (slot.starts_at for slot in free(tenant, call, day)[:6:2])
        with schema_context(tenant.schema_name):
            past = hold_slot(buyer=buyer, session_type_id=call.pk, starts_at=third)
            # The offer hangs off an earlier booking of this buyer (its state is not
            # what the race is about).
            offer = RebookOffer.objects.create(
                booking=past,
                session_type=call,
                price=4000,
                currency="USD",
                expires_at=timezone.now() + timedelta(days=7),
            )

        def attempt(starts_at: datetime) -> Any:
            with schema_context(tenant.schema_name):
                return hold_slot(
                    buyer=buyer,
                    session_type_id=call.pk,
                    starts_at=starts_at,
                    rebook_offer_id=offer.pk,
                )

        calls: list[Callable[[], Any]] = [partial(attempt, first), partial(attempt, second)]
        results = run_together(calls)

        won = [r for r in results if isinstance(r, Booking)]
        lost = [r for r in results if not isinstance(r, Booking)]
        assert len(won) == 1, results
        assert len(lost) == 1 and isinstance(lost[0], ConsultingError), lost
        assert lost[0].kind == "conflict"
        assert won[0].amount == 4000
        with schema_context(tenant.schema_name):
            assert Booking.objects.filter(rebook_offer=offer).count() == 1
            assert RebookOffer.objects.get(pk=offer.pk).used_at is not None


# --- the aftercare section and the API ------------------------------------------------------


def signed_in(client_for: Any, tenant: Tenant, user_id: int) -> Any:
    with schema_context(tenant.schema_name):
        email = User.objects.get(pk=user_id).email
    client = client_for(tenant)
    assert sign_in(client, email).json()["status"] == "signed_in"
    return client


def test_the_studio_form_sends_an_offer_with_errors_beside_fields_and_the_buyer_books_it(
    consulting, client_for, django_capture_on_commit_callbacks, time_machine
):
    c = consulting
    booking = past_session(c, django_capture_on_commit_callbacks, time_machine)
    studio = signed_in(client_for, c.tenant, c.seller.owner_id)
    other_studio = signed_in(client_for, c.tenant, c.other_seller.owner_id)
    buyer = signed_in(client_for, c.tenant, c.buyer.pk)
    other_buyer = signed_in(client_for, c.tenant, c.other_buyer.pk)
    path = f"/studio/consulting/bookings/{booking.pk}/aftercare/rebook/"
    form = {"session_type_id": c.session_type.pk, "price": "150.00", "expires_in_days": "14"}
    htmx = {"HTTP_HX_REQUEST": "true"}

    refused = studio.post(path, form, **htmx)
    assert refused.status_code == 200  # htmx swaps 2xx only
    page = refused.content.decode()
    assert 'id="aftercare-price-error-' in page and "up to 100.00 USD" in page
    assert 'value="150.00"' in page  # what was typed is kept
    assert other_studio.post(path, {**form, "price": "75.00"}, **htmx).status_code == 404

    sent = studio.post(path, {**form, "price": "75.00", "message": "See you soon"}, **htmx)
    assert sent.status_code == 200
    assert "Offer sent: 75.00 USD." in sent.content.decode()
    assert 'data-state="open"' in sent.content.decode()

    mine = call(buyer, "get", "/consulting/rebook-offers").json()
    assert [(o["price"], o["usable"]) for o in mine] == [(7500, True)]
    assert call(other_buyer, "get", "/consulting/rebook-offers").json() == []
    offer_id = mine[0]["id"]
    with schema_context(c.tenant.schema_name):
        done = Booking.objects.select_related("consultant__seller", "session_type__product").get(
            pk=booking.pk
        )
        section = aftercare_context(done, role="buyer")
    assert [o["url"] for o in section["offers"]] == [mine[0]["url"]]
    assert section["reminders"] == "Reminders: 24 h and 1 h before"

    hold_path = f"/consulting/rebook-offers/{offer_id}/holds"
    slot = {"starts_at": NEXT_WEEK.isoformat(), "time_zone": "America/New_York"}
    assert call(other_buyer, "post", hold_path, slot).status_code == 404
    held = call(buyer, "post", hold_path, slot)
    assert held.status_code == 201, held.content
    assert held.json()["amount"] == 7500
    again = call(buyer, "post", hold_path, {**slot, "starts_at": "2026-12-16T13:00:00+00:00"})
    assert again.status_code == 409


def test_no_show_through_the_studio_section_and_the_api(
    consulting, client_for, django_capture_on_commit_callbacks, time_machine
):
    c = consulting
    booking = hold(c.tenant, c.buyer, c.session_type, TEN)
    pay(c.tenant, c.buyer, booking, django_capture_on_commit_callbacks)
    studio = signed_in(client_for, c.tenant, c.seller.owner_id)
    other_studio = signed_in(client_for, c.tenant, c.other_seller.owner_id)
    buyer = signed_in(client_for, c.tenant, c.buyer.pk)
    other_buyer = signed_in(client_for, c.tenant, c.other_buyer.pk)
    path = f"/studio/consulting/bookings/{booking.pk}/aftercare/no-show/"
    htmx = {"HTTP_HX_REQUEST": "true"}

    early = studio.post(path, **htmx)
    assert early.status_code == 200 and "can be reported from" in early.content.decode()
    time_machine.move_to(TEN + timedelta(minutes=15), tick=False)
    assert other_studio.post(path, **htmx).status_code == 404
    api = f"/consulting/bookings/{booking.pk}/no-show"
    assert call(other_buyer, "post", api, {"reason": ""}).status_code == 404
    reported = call(buyer, "post", api, {"reason": "Nobody joined."})
    assert reported.status_code == 200, reported.content
    assert reported.json()["no_show"] == "consultant"
    assert call(buyer, "post", api, {"reason": ""}).status_code == 409
    page_post = f"/consulting/bookings/{booking.pk}/aftercare/no-show/"
    assert other_buyer.post(page_post, **htmx).status_code == 404
    again = buyer.post(page_post, **htmx)
    assert again.status_code == 200 and "was reported already" in again.content.decode()
    assert "You reported that the consultant did not come." in again.content.decode()

    confirm = f"/studio/consulting/bookings/{booking.pk}/aftercare/no-show/confirm/"
    done = studio.post(confirm, **htmx)
    assert done.status_code == 200 and "100.00 USD refunded" in done.content.decode()
    plain = studio.post(confirm)
    assert plain.status_code == 302
    assert refreshed(c.tenant, booking).refunded_amount == 10000


# --- in the browser ---------------------------------------------------------------------------


def _committed_past_session(tenant: Tenant) -> tuple[Consulting, Booking, str]:
    """A paid session that ended an hour ago (its times moved back after the payment: the
    server's clock is the real one)."""
    c = make_consulting(tenant)
    day = (timezone.now() + timedelta(days=3)).date()
    while day.weekday() > 4:
        day += timedelta(days=1)
    slot = free(tenant, c.session_type, day)[0]
    with schema_context(tenant.schema_name):
        held = hold_slot(
            buyer=c.buyer,
            session_type_id=c.session_type.pk,
            starts_at=slot.starts_at,
            buyer_zone="America/New_York",
        )
    pay(tenant, c.buyer, held, lambda execute: contextlib.nullcontext())
    now = timezone.now()
    with schema_context(tenant.schema_name):
        Booking.objects.filter(pk=held.pk).update(
            starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1)
        )
        consultant_email = User.objects.get(pk=c.seller.owner_id).email
    use_public_schema()
    return c, refreshed(tenant, held), consultant_email


def test_the_consultant_offers_to_book_again_and_reports_a_no_show_in_the_browser(
    django_db_setup: None,
    django_db_blocker: Any,
    chromium_executable: str,  # noqa: F811
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    with (
        django_db_blocker.unblock(),
        marketplace_with_operator(
            slug="consult-aftercare-browser",
            name="Consult Corner",
            operator_email="op@aftercare.example",
            modules=["consulting"],
        ) as market,
    ):
        c, booking, consultant_email = _committed_past_session(market.tenant)
        studio_path = f"/studio/consulting/bookings/{booking.pk}/"
        buyer_path = f"/consulting/bookings/{booking.pk}/"
        with (
            _running_server(market.host, tmp_path, request) as server,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(
                executable_path=chromium_executable, args=CHROMIUM_ARGS
            )
            for width, price in ((1280, "75.00"), (390, "60.00")):
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                _sign_in(
                    page,
                    server.url(market.host, f"/accounts/login/?next={studio_path}"),
                    consultant_email,
                )
                section = page.locator(f"#aftercare-{booking.pk}")
                expect(section).to_contain_text("Reminders: 24 h and 1 h before")
                section.get_by_label("Price (USD)").fill("150.00")
                section.get_by_role("button", name="Send the offer").click()
                expect(section.locator(".aftercare-error")).to_contain_text("up to 100.00 USD")
                section.get_by_label("Price (USD)").fill(price)
                section.get_by_label("Message (optional)").fill("Same time next month?")
                section.get_by_role("button", name="Send the offer").click()
                expect(section).to_contain_text(f"Offer sent: {price} USD.")
                assert page_width(page) <= width
                _shot(page, tmp_path, f"aftercare-studio-{width}")
                context.close()

                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                _sign_in(
                    page,
                    server.url(market.host, f"/accounts/login/?next={buyer_path}"),
                    c.buyer.email,
                )
                offer = page.locator("[data-offer]").first
                expect(offer).to_contain_text(f"{price} USD")
                link = offer.get_by_role("link", name="Book again")
                assert "?rebook=" in (link.get_attribute("href") or "")
                expect(page.locator("details.aftercare-confirm summary")).to_have_text(
                    "The consultant did not come"
                )
                assert page_width(page) <= width
                _shot(page, tmp_path, f"aftercare-buyer-{width}")
                context.close()

            context = browser.new_context(viewport={"width": 390, "height": 900})
            page = context.new_page()
            _sign_in(
                page,
                server.url(market.host, f"/accounts/login/?next={studio_path}"),
                consultant_email,
            )
            section = page.locator(f"#aftercare-{booking.pk}")
            section.locator("summary", has_text="The buyer did not come").click()
            section.get_by_role("button", name="Yes, report that the buyer did not come").click()
            expect(section).to_contain_text("Reported; the buyer was told.")
            expect(section.locator("[data-no-show]")).to_have_attribute("data-no-show", "buyer")
            _shot(page, tmp_path, "aftercare-studio-reported-390")
            context.close()
            browser.close()
        assert refreshed(market.tenant, booking).no_show == "buyer"
