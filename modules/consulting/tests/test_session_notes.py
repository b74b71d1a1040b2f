"""Meeting notes: the consultant's private notes never reach the buyer (API and pages), shared
ones do; the buyer's notes are always shared; each side edits and deletes only its own;
sharing tells the other side exactly once. Another buyer's or consultant's booking is a 404
on every endpoint."""

from __future__ import annotations

from django_tenants.utils import schema_context

from modules.consulting.models import BookingNote
from modules.consulting.tests.test_session_documents import booked_session, shared_notifications
from tests.accounts_helpers import call

HTMX = {"HX-Request": "true"}


def test_private_notes_never_reach_the_buyer_and_shared_ones_do_once(
    consulting, client_for, django_capture_on_commit_callbacks
):
    s = booked_session(consulting, client_for, django_capture_on_commit_callbacks)
    pk = s.booking.pk
    seller_api = f"/consulting/seller/bookings/{pk}/notes"
    buyer_api = f"/consulting/bookings/{pk}/notes"

    secret = call(s.consultant, "post", seller_api, {"body": "Seems nervous about pricing."})
    assert secret.status_code == 201, secret.content
    assert secret.json()["is_shared"] is False
    shared = call(
        s.consultant, "post", seller_api, {"body": "Read chapter 3 first.", "is_shared": True}
    )
    assert shared.status_code == 201
    question = call(s.buyer, "post", buyer_api, {"body": "Can we cover VAT?", "is_shared": False})
    assert question.status_code == 201
    assert question.json()["is_shared"] is True  # the buyer's notes are always shared

    seen = call(s.buyer, "get", buyer_api).json()
    assert [(n["body"], n["by"]) for n in seen] == [
        ("Read chapter 3 first.", "Your consultant"),
        ("Can we cover VAT?", "You"),
    ]
    assert [n["body"] for n in call(s.consultant, "get", seller_api).json()] == [
        "Seems nervous about pricing.",
        "Read chapter 3 first.",
        "Can we cover VAT?",
    ]
    page = s.buyer.get(f"/consulting/bookings/{pk}/notes/").content.decode()
    assert "Read chapter 3 first." in page and "Can we cover VAT?" in page
    assert "nervous" not in page and "Private" not in page
    studio = s.consultant.get(f"/studio/consulting/bookings/{pk}/notes/", headers=HTMX)
    assert "Seems nervous about pricing." in studio.content.decode()
    assert "Private" in studio.content.decode()

    # The buyer cannot reach the private note by its id either.
    secret_id = secret.json()["id"]
    assert call(s.buyer, "put", f"{buyer_api}/{secret_id}", {"body": "x"}).status_code == 404
    assert s.buyer.delete(f"/api/v1{buyer_api}/{secret_id}").status_code == 404
    assert (
        s.buyer.post(f"/consulting/bookings/{pk}/notes/{secret_id}/", {"body": "x"}).status_code
        == 404
    )

    # Sharing the private note later tells Bea once, however often it is edited.
    edited = call(
        s.consultant,
        "put",
        f"{seller_api}/{secret_id}",
        {"body": "Pricing: see deck.", "is_shared": True},
    )
    assert edited.status_code == 200, edited.content
    again = call(
        s.consultant, "put", f"{seller_api}/{secret_id}", {"body": "Pricing: see the deck."}
    )
    assert again.json()["is_shared"] is True
    assert "Pricing: see the deck." in [n["body"] for n in call(s.buyer, "get", buyer_api).json()]
    ada, bea = consulting.seller.owner_id, consulting.buyer.pk
    assert [user for user, _ in shared_notifications(consulting.tenant)] == [bea, ada, bea]

    # Made private again, it disappears from the buyer's view.
    hidden = call(
        s.consultant, "put", f"{seller_api}/{secret_id}", {"body": "Mine.", "is_shared": False}
    )
    assert hidden.json()["is_shared"] is False
    assert "Mine." not in s.buyer.get(f"/consulting/bookings/{pk}/notes/").content.decode()
    assert len(call(s.buyer, "get", buyer_api).json()) == 2


def test_each_side_edits_and_deletes_only_its_own_notes(
    consulting, client_for, django_capture_on_commit_callbacks
):
    s = booked_session(consulting, client_for, django_capture_on_commit_callbacks)
    pk = s.booking.pk
    theirs = call(
        s.consultant,
        "post",
        f"/consulting/seller/bookings/{pk}/notes",
        {"body": "Agenda", "is_shared": True},
    ).json()["id"]
    mine = call(s.buyer, "post", f"/consulting/bookings/{pk}/notes", {"body": "Q1"}).json()["id"]

    refused = call(s.buyer, "put", f"/consulting/bookings/{pk}/notes/{theirs}", {"body": "No"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_yours"
    assert s.buyer.delete(f"/api/v1/consulting/bookings/{pk}/notes/{theirs}").status_code == 403
    refused = call(
        s.consultant, "put", f"/consulting/seller/bookings/{pk}/notes/{mine}", {"body": "x"}
    )
    assert refused.status_code == 403

    fixed = call(s.buyer, "put", f"/consulting/bookings/{pk}/notes/{mine}", {"body": "Q1 (VAT)"})
    assert fixed.json()["body"] == "Q1 (VAT)"
    blank = call(s.buyer, "put", f"/consulting/bookings/{pk}/notes/{mine}", {"body": "  "})
    assert blank.status_code == 422 and blank.json()["error"]["code"] == "invalid_note"

    # On the page: a refused edit shows beside its field with what was typed kept.
    long_body = "x" * 10_001
    page = s.buyer.post(
        f"/consulting/bookings/{pk}/notes/{mine}/", {"body": long_body}, headers=HTMX
    ).content.decode()
    assert "A note may be at most 10,000 characters (10,001 now)." in page
    assert long_body in page and "<details open>" in page
    empty_new = s.buyer.post(f"/consulting/bookings/{pk}/notes/", {"body": ""}, headers=HTMX)
    assert "Write something in the note." in empty_new.content.decode()

    done = s.buyer.post(f"/consulting/bookings/{pk}/notes/{mine}/delete/", headers=HTMX)
    assert done.status_code == 200 and "Q1 (VAT)" not in done.content.decode()
    with schema_context(consulting.tenant.schema_name):
        assert list(BookingNote.objects.values_list("body", flat=True)) == ["Agenda"]


def test_another_buyer_or_consultant_gets_404_for_every_notes_endpoint(
    consulting, client_for, django_capture_on_commit_callbacks
):
    s = booked_session(consulting, client_for, django_capture_on_commit_callbacks)
    pk = s.booking.pk
    note = call(
        s.consultant,
        "post",
        f"/consulting/seller/bookings/{pk}/notes",
        {"body": "Agenda", "is_shared": True},
    ).json()["id"]
    for client, api, page in (
        (s.other_buyer, f"/consulting/bookings/{pk}/notes", f"/consulting/bookings/{pk}/notes/"),
        (
            s.other_consultant,
            f"/consulting/seller/bookings/{pk}/notes",
            f"/studio/consulting/bookings/{pk}/notes/",
        ),
    ):
        assert call(client, "get", api).status_code == 404
        assert call(client, "post", api, {"body": "hi"}).status_code == 404
        assert call(client, "put", f"{api}/{note}", {"body": "hi"}).status_code == 404
        assert call(client, "delete", f"{api}/{note}").status_code == 404
        assert client.get(page).status_code == 404
        assert client.post(page, {"body": "hi"}).status_code == 404
        assert client.post(f"{page}{note}/", {"body": "hi"}).status_code == 404
        assert client.post(f"{page}{note}/delete/").status_code == 404
    with schema_context(consulting.tenant.schema_name):
        assert list(BookingNote.objects.values_list("body", flat=True)) == ["Agenda"]
    assert len(shared_notifications(consulting.tenant)) == 1
