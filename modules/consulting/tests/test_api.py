"""The API end to end: a consultant sets up their profile, rules, an override and a session
type; a buyer in New York lists free slots in their own zone, holds one, pays the offer
through the cart and checkout, sees the booking, moves it and cancels it. Another buyer's
booking, another marketplace's session types and a marketplace without the module are all
404."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.events import dispatch_pending
from modules.consulting.models import Booking
from modules.consulting.services.booking import hold_slot
from modules.consulting.tests.helpers import T0, make_consulting, make_consulting_tenant
from tests.accounts_helpers import call, make_user, sign_in
from tests.catalog_helpers import make_product, make_seller
from tests.commerce_helpers import checkout


def signed_in(client_for: Any, tenant: Any, email: str) -> Client:
    client: Client = client_for(tenant)
    assert sign_in(client, email).json()["status"] == "signed_in"
    return client


def owner_email(tenant: Any, owner_id: int) -> str:
    with schema_context(tenant.schema_name):
        return User.objects.get(pk=owner_id).email


def test_a_consultant_sets_up_and_a_buyer_in_new_york_books_moves_and_cancels(
    make_tenant, client_for, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(T0, tick=False)
    tenant = make_consulting_tenant(make_tenant)
    seller = make_seller(tenant, "ines", "Ines Advisory", product_types=["consult"])
    product = make_product(tenant, seller, "Tax hour", price=8000, product_type="consult")
    make_user(tenant, "nyc@example.com")
    consultant = signed_in(client_for, tenant, owner_email(tenant, seller.owner_id))
    buyer = signed_in(client_for, tenant, "nyc@example.com")

    profile = call(
        consultant,
        "put",
        "/consulting/seller/profile",
        {"time_zone": "Europe/Paris", "min_notice": 60, "policy": {"refund_tiers": [[24, 100]]}},
    )
    assert profile.status_code == 200, profile.content
    assert profile.json()["policy"]["refund_tiers"] == [[24, 100]]
    rules = call(consultant, "put", "/consulting/seller/rules", {"rules": {"2": [[540, 720]]}})
    assert rules.json() == {"windows": 1}, rules.content
    off = call(consultant, "put", "/consulting/seller/overrides/2026-12-16", {"windows": []})
    assert off.status_code == 200, off.content
    made = call(
        consultant,
        "put",
        "/consulting/seller/session-types",
        {"product_id": product.pk, "minutes": 45, "price": 8000, "currency": "USD"},
    )
    assert made.status_code == 200, made.content
    type_id = made.json()["id"]
    bad = call(consultant, "put", "/consulting/seller/profile", {"time_zone": "Mars/Olympus"})
    assert bad.status_code == 422

    listed = buyer.get(
        f"/api/v1/consulting/session-types/{type_id}/slots",
        {"start": "2026-12-09", "end": "2026-12-16", "time_zone": "America/New_York"},
    )
    assert listed.status_code == 200, listed.content
    starts = [slot["starts_at"] for slot in listed.json()]
    # Wednesday 09:00-12:00 in Paris is 03:00-06:00 in New York; the 16th is a day off.
    assert starts[0] == "2026-12-09T03:00:00-05:00"
    assert starts[-1] == "2026-12-09T05:00:00-05:00"  # 45 minutes, ends 11:45 Paris
    assert len(starts) == 5

    held = call(
        buyer,
        "post",
        "/consulting/holds",
        {"session_type_id": type_id, "starts_at": starts[0], "time_zone": "America/New_York"},
    )
    assert held.status_code == 201, held.content
    booking_id = held.json()["id"]
    added = call(buyer, "post", "/cart/offers", {"offer_id": held.json()["offer_id"]})
    assert added.status_code == 200, added.content
    with django_capture_on_commit_callbacks(execute=True):
        paid = checkout(buyer)
    assert paid.status_code == 201, paid.content
    with schema_context(tenant.schema_name):
        dispatch_pending()

    mine = call(buyer, "get", "/consulting/bookings").json()
    assert [(b["id"], b["status"]) for b in mine] == [(booking_id, "booked")]
    assert mine[0]["refund_if_cancelled_now"] == 8000

    moved = call(
        buyer,
        "post",
        f"/consulting/bookings/{booking_id}/reschedule",
        {"starts_at": starts[2]},
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["starts_at"] == "2026-12-09T09:00:00Z"  # 10:00 in Paris

    cancelled = call(buyer, "post", f"/consulting/bookings/{booking_id}/cancel")
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["refunded"] == 8000
    again = call(buyer, "post", f"/consulting/bookings/{booking_id}/cancel")
    assert again.json()["refunded"] == 8000
    with schema_context(tenant.schema_name):
        assert Booking.objects.get().refunded_amount == 8000


def test_another_buyer_or_marketplace_gets_404_and_no_module_no_api(
    make_tenant, client_for, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(T0, tick=False)
    first = make_consulting_tenant(make_tenant, "consult-one")
    second = make_consulting_tenant(make_tenant, "consult-two")
    off = make_tenant("consult-off", modules=[]).tenant
    c = make_consulting(first)
    make_user(second, "buyer@example.com")
    make_user(off, "buyer@example.com")
    with schema_context(first.schema_name):
        booking = hold_slot(
            buyer=c.buyer,
            session_type_id=c.session_type.pk,
            starts_at=datetime(2026, 12, 9, 10, tzinfo=UTC),
        )

    owner = signed_in(client_for, first, "buyer@example.com")
    other = signed_in(client_for, first, "other-buyer@example.com")
    elsewhere = signed_in(client_for, second, "buyer@example.com")
    without = signed_in(client_for, off, "buyer@example.com")
    path = f"/consulting/bookings/{booking.pk}"
    assert call(owner, "get", path).status_code == 200
    assert call(other, "get", path).status_code == 404
    assert call(other, "post", f"{path}/cancel").status_code == 404
    assert call(other, "get", "/consulting/bookings").json() == []
    assert call(elsewhere, "get", path).status_code == 404
    slots = f"/api/v1/consulting/session-types/{c.session_type.pk}/slots"
    window = {"start": "2026-12-09", "end": "2026-12-09"}
    assert owner.get(slots, window).status_code == 200
    assert elsewhere.get(slots, window).status_code == 404
    assert without.get(slots, window).status_code == 404
    assert call(without, "get", "/consulting/bookings").status_code == 404
    assert without.get("/consulting/mine/").status_code == 404
    assert owner.get("/consulting/mine/").status_code == 200

    # A consultant of the second marketplace cannot make the first one's product bookable.
    seller_two = make_seller(second, "zed", "Zed", product_types=["consult"])
    consultant_two = signed_in(client_for, second, owner_email(second, seller_two.owner_id))
    set_up = call(consultant_two, "put", "/consulting/seller/profile", {"time_zone": "UTC"})
    assert set_up.status_code == 200, set_up.content
    stolen = call(
        consultant_two,
        "put",
        "/consulting/seller/session-types",
        {"product_id": c.session_type.product_id, "minutes": 30, "price": 1, "currency": "USD"},
    )
    assert stolen.status_code == 404
