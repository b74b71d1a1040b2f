"""Meeting notes of a booking. The consultant writes notes that are private (only the
consultant's side ever sees them) or shared with the buyer; the buyer's notes are always
shared (questions before the session). Each side edits and deletes its own notes only.
A note becoming shared tells the other side once (``consulting.shared``, deduplicated per
note)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from core.accounts.models import User
from modules.consulting.errors import ConsultingErrorCode
from modules.consulting.models import Booking, BookingNote
from modules.consulting.services.session_access import (
    Role,
    check_open,
    check_participant,
    invalid,
    item_not_found,
    not_yours,
    side_of,
    tell_other_side,
)

MAX_NOTE_CHARS = 10_000


def notes_for(booking: Booking, role: Role) -> QuerySet[BookingNote]:
    """What ``role`` may read: the buyer never sees a private note."""
    notes = booking.notes.select_related("author").order_by("created_at", "id")
    if role == "buyer":
        notes = notes.filter(is_shared=True)
    return notes


def _clean(body: str) -> str:
    body = body.strip()
    if not body:
        raise invalid(ConsultingErrorCode.INVALID_NOTE, "body", "Write something in the note.")
    if len(body) > MAX_NOTE_CHARS:
        raise invalid(
            ConsultingErrorCode.INVALID_NOTE,
            "body",
            f"A note may be at most {MAX_NOTE_CHARS:,} characters ({len(body):,} now).",
        )
    return body


def _tell_if_shared(booking: Booking, note: BookingNote, role: Role) -> None:
    if not note.is_shared:
        return
    who = "Your consultant" if role == "consultant" else "Your client"
    tell_other_side(
        booking,
        role=role,
        title=f"{who} shared a note on {booking.session_type.product.name}",
        body=note.body,
        dedupe_key=f"consulting:note:{note.pk}",
    )


def _locked(booking: Booking) -> Booking:
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("consultant__seller", "session_type__product")
        .get(pk=booking.pk)
    )


@transaction.atomic
def add_note(
    *, booking: Booking, actor: User, role: Role, body: str, is_shared: bool = False
) -> BookingNote:
    """A note by ``actor``; the buyer's are always shared."""
    check_participant(booking, actor, role)
    booking = _locked(booking)
    check_open(booking)
    note = BookingNote.objects.create(
        booking=booking,
        author=actor,
        body=_clean(body),
        is_shared=True if role == "buyer" else is_shared,
    )
    _tell_if_shared(booking, note, role)
    return note


def _own_note(booking: Booking, role: Role, note_id: int) -> BookingNote:
    note = notes_for(booking, role).select_for_update(of=("self",)).filter(pk=note_id).first()
    if note is None:
        raise item_not_found("note")
    if side_of(booking, note.author_id) != role:
        raise not_yours("You can change only your own notes.")
    return note


@transaction.atomic
def edit_note(
    *,
    booking: Booking,
    actor: User,
    role: Role,
    note_id: int,
    body: str,
    is_shared: bool | None = None,
) -> BookingNote:
    """Change one of the side's own notes (sharing a private one tells the buyer once;
    making a shared one private again hides it from the buyer from now on)."""
    check_participant(booking, actor, role)
    booking = _locked(booking)
    check_open(booking)
    note = _own_note(booking, role, note_id)
    note.body = _clean(body)
    if role == "consultant" and is_shared is not None:
        note.is_shared = is_shared
    note.save(update_fields=["body", "is_shared", "updated_at"])
    _tell_if_shared(booking, note, role)
    return note


@transaction.atomic
def delete_note(*, booking: Booking, actor: User, role: Role, note_id: int) -> None:
    check_participant(booking, actor, role)
    note = _own_note(booking, role, note_id)
    note.delete()
