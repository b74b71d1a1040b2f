"""Documents shared in a booking: the buyer and the consultant upload private files once the
session is booked (the type judged by the content: programs, scripts and unknown binaries
are refused naming the file; the operator's size limit holds); only the two of them list and
download them (streamed, never cached, never sniffed); the uploader's side removes a file,
which then leaves the list and is a 404. Another buyer, another consultant, another
marketplace and a marketplace with the module off see nothing; the other side is told once."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context
from PIL import Image

from core.accounts.models import User
from core.notifications.models import Notification
from modules.consulting.models import Booking, BookingFile
from modules.consulting.tests.helpers import (
    Consulting,
    free,
    hold,
    make_consulting,
    make_consulting_tenant,
    pay,
    refreshed,
)
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import call, sign_in

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Booked:
    consulting: Consulting
    booking: Booking
    buyer: Client
    consultant: Client
    other_buyer: Client
    other_consultant: Client


def signed_in(client_for: Any, tenant: Any, email: str) -> Client:
    client: Client = client_for(tenant)
    assert sign_in(client, email).json()["status"] == "signed_in"
    return client


def owner_email(tenant: Any, owner_id: int) -> str:
    with schema_context(tenant.schema_name):
        return User.objects.get(pk=owner_id).email


def booked_session(consulting: Consulting, client_for: Any, capture: Any) -> Booked:
    """Bea's paid strategy call with Ada on Tuesday 8 December, and a client for each of
    Bea, Ada, Otto (another buyer) and Bob (another consultant)."""
    tenant = consulting.tenant
    slot = free(tenant, consulting.session_type, date(2026, 12, 8))[0]
    booking = hold(tenant, consulting.buyer, consulting.session_type, slot.starts_at)
    pay(tenant, consulting.buyer, booking, capture)
    booking = refreshed(tenant, booking)
    assert booking.status == "booked"
    return Booked(
        consulting,
        booking,
        signed_in(client_for, tenant, consulting.buyer.email),
        signed_in(client_for, tenant, owner_email(tenant, consulting.seller.owner_id)),
        signed_in(client_for, tenant, consulting.other_buyer.email),
        signed_in(client_for, tenant, owner_email(tenant, consulting.other_seller.owner_id)),
    )


def shared_notifications(tenant: Any) -> list[tuple[int, str]]:
    with schema_context(tenant.schema_name):
        rows = Notification.objects.filter(type_key="consulting.shared").order_by("id")
        return [(row.user_id, row.title) for row in rows]


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def upload(client: Client, path: str, name: str, content: bytes, **headers: str) -> Any:
    picked = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(path, {"file": picked}, headers=headers or None)


def api_upload(client: Client, path: str, name: str, content: bytes) -> Any:
    picked = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post("/api/v1" + path, {"file": picked})


def streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_both_sides_share_files_privately_and_the_uploader_removes_theirs(
    consulting, client_for, django_capture_on_commit_callbacks
):
    s = booked_session(consulting, client_for, django_capture_on_commit_callbacks)
    pk = s.booking.pk
    buyer_api = f"/consulting/bookings/{pk}/files"
    seller_api = f"/consulting/seller/bookings/{pk}/files"

    mine = api_upload(s.buyer, buyer_api, "brief.pdf", PDF)
    assert mine.status_code == 201, mine.content
    assert mine.json()["name"] == "brief.pdf"
    assert mine.json()["content_type"] == "application/pdf"
    assert mine.json()["by"] == "You" and mine.json()["is_mine"] is True
    theirs = api_upload(s.consultant, seller_api, "notes.md", "# Agenda\n- Pricing ✓\n".encode())
    assert theirs.status_code == 201, theirs.content
    assert theirs.json()["content_type"] == "text/markdown"
    picture = upload(
        s.consultant, f"/studio/consulting/bookings/{pk}/files/", "board.png", png_bytes()
    )
    assert picture.status_code == 302  # a plain form post goes back to the booking

    listed = call(s.buyer, "get", buyer_api).json()
    assert [(row["name"], row["by"], row["is_mine"]) for row in listed] == [
        ("brief.pdf", "You", True),
        ("notes.md", "Your consultant", False),
        ("board.png", "Your consultant", False),
    ]
    seen = [row["name"] for row in call(s.consultant, "get", seller_api).json()]
    assert seen == ["brief.pdf", "notes.md", "board.png"]

    file_id = mine.json()["id"]
    download = s.consultant.get(f"/api/v1{seller_api}/{file_id}")
    assert download.status_code == 200
    assert streamed(download) == PDF
    assert {"private", "no-store"} <= set(download["Cache-Control"].split(", "))
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/pdf"
    assert 'filename="brief.pdf"' in download["Content-Disposition"]
    page_download = s.buyer.get(f"/consulting/bookings/{pk}/files/{theirs.json()['id']}/")
    assert streamed(page_download) == "# Agenda\n- Pricing ✓\n".encode()
    assert {"private", "no-store"} <= set(page_download["Cache-Control"].split(", "))

    with schema_context(consulting.tenant.schema_name):
        stored = BookingFile.objects.get(pk=file_id)
        schema = consulting.tenant.schema_name
        assert stored.file.name == f"{schema}/consulting/bookings/{pk}/{stored.key}"

    # Only the uploader's side removes a file.
    refused = s.buyer.delete(f"/api/v1{buyer_api}/{theirs.json()['id']}")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_yours"
    removed = s.buyer.delete(f"/api/v1{buyer_api}/{file_id}")
    assert removed.status_code == 204
    assert [row["name"] for row in call(s.consultant, "get", seller_api).json()] == [
        "notes.md",
        "board.png",
    ]
    assert s.consultant.get(f"/api/v1{seller_api}/{file_id}").status_code == 404
    assert s.buyer.get(f"/consulting/bookings/{pk}/files/{file_id}/").status_code == 404
    assert s.buyer.delete(f"/api/v1{buyer_api}/{file_id}").status_code == 404
    with schema_context(consulting.tenant.schema_name):
        assert BookingFile.objects.get(pk=file_id).removed_at is not None  # a soft removal

    # Each new file told the other side once: Ada of Bea's PDF, Bea of Ada's two files.
    ada = consulting.seller.owner_id
    notified = shared_notifications(consulting.tenant)
    assert [user for user, _ in notified] == [ada, consulting.buyer.pk, consulting.buyer.pk]
    assert notified[0][1] == "A file was shared in your session: brief.pdf"


def test_programs_unknown_binaries_and_files_over_the_limit_are_refused_by_name(
    consulting, client_for, django_capture_on_commit_callbacks
):
    s = booked_session(consulting, client_for, django_capture_on_commit_callbacks)
    path = f"/consulting/bookings/{s.booking.pk}/files"
    cases = {
        "setup.exe": b"MZ\x90\x00\x03" + b"\x00" * 64,
        "invoice.pdf": b"\x7fELF\x02\x01\x01" + b"\x00" * 64,  # a program under a PDF name
        "run.sh": b"echo hello\n",
        "script.txt": b"#!/bin/sh\nrm -rf /\n",
        "blob.dat": bytes(range(256)) * 4,
        "archive.zip": b"PK\x03\x04" + b"\x00" * 64,
        "notes.txt": b"\xff\xfe\x00binary\x00\x00" * 20,
    }
    for name, content in cases.items():
        refused = api_upload(s.buyer, path, name, content)
        assert refused.status_code == 422, (name, refused.content)
        assert refused.json()["error"]["code"] == "file_refused"
        assert refused.json()["error"]["message"].startswith(f"{name}: ")
    empty = api_upload(s.buyer, path, "empty.pdf", b"")
    assert empty.status_code == 422 and "empty" in empty.json()["error"]["message"]

    at_limit = api_upload(s.buyer, path, "fits.pdf", PDF + b"0" * (1024 * 1024 - len(PDF)))
    set_module_enabled(
        tenant=consulting.tenant, key="consulting", is_enabled=True, config={"max_file_mb": 1}
    )
    too_big = api_upload(s.buyer, path, "big.pdf", PDF + b"0" * (1024 * 1024))
    assert too_big.status_code == 413, too_big.content
    assert too_big.json()["error"]["code"] == "file_too_large"
    assert too_big.json()["error"]["message"] == "big.pdf: a file may be at most 1 MB."
    assert at_limit.status_code == 201, at_limit.content
    assert api_upload(s.buyer, path, "fits-too.pdf", PDF + b"0" * 1000).status_code == 201

    # On the page the refusal sits beside the field (htmx swaps the section).
    page = upload(
        s.buyer,
        f"/consulting/bookings/{s.booking.pk}/files/",
        "setup.exe",
        b"MZ" + b"\x00" * 64,
        **{"HX-Request": "true"},
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="session-files"' in text and "<html" not in text
    assert "setup.exe: programs and scripts cannot be shared." in text
    assert 'aria-invalid="true"' in text
    plain = upload(
        s.buyer, f"/consulting/bookings/{s.booking.pk}/files/", "x.bin", b"\x00\x01" * 99
    )
    assert plain.status_code == 422 and "x.bin: " in plain.content.decode()

    with schema_context(consulting.tenant.schema_name):
        assert sorted(BookingFile.objects.values_list("original_name", flat=True)) == [
            "fits-too.pdf",
            "fits.pdf",
        ]
    assert len(shared_notifications(consulting.tenant)) == 2  # the two accepted files only


def test_a_held_or_cancelled_booking_takes_no_files(
    consulting, client_for, django_capture_on_commit_callbacks
):
    s = booked_session(consulting, client_for, django_capture_on_commit_callbacks)
    slot = free(consulting.tenant, consulting.session_type, date(2026, 12, 9))[0]
    held = hold(consulting.tenant, consulting.buyer, consulting.session_type, slot.starts_at)
    refused = api_upload(s.buyer, f"/consulting/bookings/{held.pk}/files", "a.pdf", PDF)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "booking_not_open"
    section = s.buyer.get(f"/consulting/bookings/{held.pk}/files/").content.decode()
    assert 'type="file"' not in section


def test_another_buyer_another_consultant_and_no_module_get_404_everywhere(
    consulting, client_for, django_capture_on_commit_callbacks
):
    s = booked_session(consulting, client_for, django_capture_on_commit_callbacks)
    pk = s.booking.pk
    made = api_upload(s.buyer, f"/consulting/bookings/{pk}/files", "brief.pdf", PDF)
    file_id = made.json()["id"]
    for client, api, page in (
        (
            s.other_buyer,
            f"/api/v1/consulting/bookings/{pk}/files",
            f"/consulting/bookings/{pk}/files/",
        ),
        (
            s.other_consultant,
            f"/api/v1/consulting/seller/bookings/{pk}/files",
            f"/studio/consulting/bookings/{pk}/files/",
        ),
    ):
        assert client.get(api).status_code == 404
        assert client.get(f"{api}/{file_id}").status_code == 404
        assert client.delete(f"{api}/{file_id}").status_code == 404
        picked = SimpleUploadedFile("x.pdf", PDF)
        assert client.post(api, {"file": picked}).status_code == 404
        assert client.get(page).status_code == 404
        assert client.get(f"{page}{file_id}/").status_code == 404
        assert client.post(f"{page}{file_id}/remove/").status_code == 404
        assert client.post(page, {"file": SimpleUploadedFile("x.pdf", PDF)}).status_code == 404
    # The buyer's own booking through the studio (not their seller) is no way in either.
    assert s.buyer.get(f"/api/v1/consulting/seller/bookings/{pk}/files").status_code in (401, 403)
    anonymous = client_for(consulting.tenant)
    assert anonymous.get(f"/consulting/bookings/{pk}/files/{file_id}/").status_code == 302
    assert anonymous.get(f"/api/v1/consulting/bookings/{pk}/files/{file_id}").status_code == 401

    set_module_enabled(tenant=consulting.tenant, key="consulting", is_enabled=False)
    assert s.buyer.get(f"/consulting/bookings/{pk}/files/{file_id}/").status_code == 404
    assert s.buyer.get(f"/api/v1/consulting/bookings/{pk}/files/{file_id}").status_code == 404
    assert s.consultant.get(f"/studio/consulting/bookings/{pk}/files/").status_code == 404
    with schema_context(consulting.tenant.schema_name):
        assert BookingFile.objects.count() == 1


def test_a_file_of_another_marketplace_is_never_served(
    make_tenant, consulting, client_for, django_capture_on_commit_callbacks
):
    elsewhere_market = make_consulting(make_consulting_tenant(make_tenant, "other-corner"))
    here = booked_session(consulting, client_for, django_capture_on_commit_callbacks)
    there = booked_session(elsewhere_market, client_for, django_capture_on_commit_callbacks)
    ours = api_upload(
        here.buyer, f"/consulting/bookings/{here.booking.pk}/files", "a.txt", b"ours"
    ).json()["id"]
    theirs = api_upload(
        there.buyer, f"/consulting/bookings/{there.booking.pk}/files", "b.txt", b"theirs"
    ).json()["id"]
    our_path = f"/consulting/bookings/{here.booking.pk}/files/{ours}/"
    their_path = f"/consulting/bookings/{there.booking.pk}/files/{theirs}/"
    assert streamed(here.buyer.get(our_path)) == b"ours"
    assert streamed(there.buyer.get(their_path)) == b"theirs"

    # The other marketplace's booking and file ids, asked for here: nothing of theirs.
    if (there.booking.pk, theirs) != (here.booking.pk, ours):
        assert here.buyer.get(their_path).status_code == 404
        assert here.buyer.get(f"/api/v1{their_path.rstrip('/')}").status_code == 404
    # Removed here: a 404 here, whatever the other marketplace keeps.
    assert here.buyer.post(f"{our_path}remove/").status_code == 302
    assert here.buyer.get(our_path).status_code == 404
    assert here.buyer.get(f"/api/v1{our_path.rstrip('/')}").status_code == 404
    assert streamed(there.buyer.get(their_path)) == b"theirs"
    with schema_context(elsewhere_market.tenant.schema_name):
        stored = BookingFile.objects.get(pk=theirs)
        assert stored.file.name.startswith(f"{elsewhere_market.tenant.schema_name}/")
        assert not BookingFile.objects.filter(original_name="a.txt").exists()
