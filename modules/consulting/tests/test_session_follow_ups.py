"""Follow-up tasks of a booking: either side adds a task (text, optional due date), in the
order added; either side ticks and unticks; only the side that added one removes it; the
other side is told of each new task once. Another buyer's or consultant's booking is a 404
on every endpoint."""

from __future__ import annotations

from django_tenants.utils import schema_context

from modules.consulting.models import FollowUp
from modules.consulting.tests.test_session_documents import booked_session, shared_notifications
from tests.accounts_helpers import call

HTMX = {"HX-Request": "true"}


def test_both_sides_keep_one_ordered_task_list(
    consulting, client_for, django_capture_on_commit_callbacks
):
    s = booked_session(consulting, client_for, django_capture_on_commit_callbacks)
    pk = s.booking.pk
    buyer_api = f"/consulting/bookings/{pk}/follow-ups"
    seller_api = f"/consulting/seller/bookings/{pk}/follow-ups"

    first = call(
        s.consultant, "post", seller_api, {"text": "Send the deck", "due_on": "2026-12-10"}
    )
    assert first.status_code == 201, first.content
    assert first.json()["due_on"] == "2026-12-10" and first.json()["is_done"] is False
    second = call(s.buyer, "post", buyer_api, {"text": "  Draft   the   budget "})
    assert second.json()["text"] == "Draft the budget"
    page = s.buyer.post(
        f"/consulting/bookings/{pk}/follow-ups/", {"text": "Book a second call", "due_on": ""}
    )
    assert page.status_code == 302

    listed = call(s.buyer, "get", buyer_api).json()
    assert [(t["text"], t["by"], t["is_mine"]) for t in listed] == [
        ("Send the deck", "Your consultant", False),
        ("Draft the budget", "You", True),
        ("Book a second call", "You", True),
    ]

    # Either side ticks any task; twice changes nothing; unticking reopens it.
    task = first.json()["id"]
    ticked = call(s.buyer, "post", f"{buyer_api}/{task}/tick", {"is_done": True})
    assert ticked.json()["is_done"] is True
    done_at = ticked.json()["done_at"]
    assert call(s.consultant, "post", f"{seller_api}/{task}/tick", {}).json()["done_at"] == done_at
    reopened = s.consultant.post(
        f"/studio/consulting/bookings/{pk}/follow-ups/{task}/tick/", {"is_done": "0"}, headers=HTMX
    )
    assert reopened.status_code == 200
    assert f'data-follow-up="{task}" data-done="false"' in reopened.content.decode()

    # Only the side that added a task removes it.
    refused = s.buyer.delete(f"/api/v1{buyer_api}/{task}")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_yours"
    assert s.consultant.delete(f"/api/v1{seller_api}/{task}").status_code == 204
    assert [t["text"] for t in call(s.consultant, "get", seller_api).json()] == [
        "Draft the budget",
        "Book a second call",
    ]
    later = call(s.consultant, "post", seller_api, {"text": "Review the budget"}).json()
    assert [t["id"] for t in call(s.buyer, "get", buyer_api).json()][-1] == later["id"]

    ada, bea = consulting.seller.owner_id, consulting.buyer.pk
    assert [user for user, _ in shared_notifications(consulting.tenant)] == [bea, ada, ada, bea]


def test_a_refused_task_shows_beside_its_field_with_the_typing_kept(
    consulting, client_for, django_capture_on_commit_callbacks
):
    s = booked_session(consulting, client_for, django_capture_on_commit_callbacks)
    url = f"/consulting/bookings/{s.booking.pk}/follow-ups/"
    blank = s.buyer.post(
        url, {"text": "   ", "due_on": "2026-12-20"}, headers=HTMX
    ).content.decode()
    assert "Say what is to be done." in blank
    assert 'value="2026-12-20"' in blank
    bad_date = s.buyer.post(url, {"text": "Call the bank", "due_on": "soon"}, headers=HTMX)
    text = bad_date.content.decode()
    assert "Give the due date as a date." in text and 'value="Call the bank"' in text
    too_long = s.buyer.post(url, {"text": "y" * 301})
    assert too_long.status_code == 422
    assert "A task may be at most 300 characters (301 now)." in too_long.content.decode()
    api = call(s.buyer, "post", f"/consulting/bookings/{s.booking.pk}/follow-ups", {"text": ""})
    assert api.status_code == 422 and api.json()["error"]["code"] == "invalid_follow_up"
    with schema_context(consulting.tenant.schema_name):
        assert not FollowUp.objects.exists()
    assert shared_notifications(consulting.tenant) == []


def test_another_buyer_or_consultant_gets_404_for_every_follow_up_endpoint(
    consulting, client_for, django_capture_on_commit_callbacks
):
    s = booked_session(consulting, client_for, django_capture_on_commit_callbacks)
    pk = s.booking.pk
    task = call(
        s.buyer, "post", f"/consulting/bookings/{pk}/follow-ups", {"text": "Send notes"}
    ).json()["id"]
    for client, api, page in (
        (
            s.other_buyer,
            f"/consulting/bookings/{pk}/follow-ups",
            f"/consulting/bookings/{pk}/follow-ups/",
        ),
        (
            s.other_consultant,
            f"/consulting/seller/bookings/{pk}/follow-ups",
            f"/studio/consulting/bookings/{pk}/follow-ups/",
        ),
    ):
        assert call(client, "get", api).status_code == 404
        assert call(client, "post", api, {"text": "x"}).status_code == 404
        assert call(client, "post", f"{api}/{task}/tick", {}).status_code == 404
        assert call(client, "delete", f"{api}/{task}").status_code == 404
        assert client.get(page).status_code == 404
        assert client.post(page, {"text": "x"}).status_code == 404
        assert client.post(f"{page}{task}/tick/", {"is_done": "1"}).status_code == 404
        assert client.post(f"{page}{task}/delete/").status_code == 404
    with schema_context(consulting.tenant.schema_name):
        assert [(t.text, t.done_at) for t in FollowUp.objects.all()] == [("Send notes", None)]
