"""What the documents, notes and follow-ups sections show (``consulting/partials/
session_files.html``, ``session_notes.html``, ``session_follow_ups.html``): the booking's
listed files, the notes ``role`` may read (never a private note for the buyer), the task
list, and the URLs each section posts to. The buyer's booking page and the studio's booking
page include the partials with ``booking``, ``role`` and ``session`` (this dict)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from core.uploads import TEXT_SUFFIXES
from modules.consulting.models import Booking
from modules.consulting.services import documents, follow_ups, notes
from modules.consulting.services.session_access import OPEN_STATUSES, Role, side_of

# What the file picker offers first (the server judges the content whatever the name).
ACCEPT_SUFFIXES = (
    ".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic", ".docx", ".doc", ".xlsx",
    ".xls", ".pptx", ".ppt", ".odt", ".ods", ".odp", ".rtf",
)  # fmt: skip
NAMESPACES: dict[Role, str] = {"buyer": "consulting", "consultant": "consulting_studio"}


def session_url(role: Role, name: str, *args: int) -> str:
    return reverse(f"{NAMESPACES[role]}:session_{name}", args=list(args))


def _who(booking: Booking, user_id: int, role: Role) -> str:
    side = side_of(booking, user_id)
    if side == role:
        return "You"
    return "Your consultant" if side == "consultant" else "Your client"


def session_context(booking: Booking, *, role: Role) -> dict[str, Any]:
    """Everything the three sections render for ``role`` ("buyer" or "consultant")."""
    pk = booking.pk
    files = [
        {
            "id": row.pk,
            "name": row.original_name,
            "size": row.size,
            "content_type": row.content_type,
            "created_at": row.created_at,
            "by": _who(booking, row.uploaded_by_id, role),
            "is_mine": side_of(booking, row.uploaded_by_id) == role,
            "url": session_url(role, "file", pk, row.pk),
            "remove_url": session_url(role, "file_remove", pk, row.pk),
        }
        for row in documents.files_of(booking)
    ]
    note_rows = [
        {
            "id": note.pk,
            "body": note.body,
            "is_shared": note.is_shared,
            "created_at": note.created_at,
            "is_edited": (note.updated_at - note.created_at).total_seconds() > 1,
            "by": _who(booking, note.author_id, role),
            "is_mine": side_of(booking, note.author_id) == role,
            "edit_url": session_url(role, "note", pk, note.pk),
            "delete_url": session_url(role, "note_delete", pk, note.pk),
        }
        for note in notes.notes_for(booking, role)
    ]
    tasks = [
        {
            "id": task.pk,
            "text": task.text,
            "due_on": task.due_on,
            "is_done": task.done_at is not None,
            "done_at": task.done_at,
            "by": _who(booking, task.created_by_id, role),
            "is_mine": side_of(booking, task.created_by_id) == role,
            "tick_url": session_url(role, "follow_up_tick", pk, task.pk),
            "delete_url": session_url(role, "follow_up_delete", pk, task.pk),
        }
        for task in follow_ups.follow_ups_of(booking)
    ]
    return {
        "role": role,
        # Times in the reader's zone: the buyer's as booked, the consultant's own.
        "zone": booking.buyer_zone if role == "buyer" else booking.consultant.time_zone,
        "other_side": "your consultant" if role == "buyer" else "your client",
        "is_open": booking.status in OPEN_STATUSES,
        "max_file_mb": documents.max_file_bytes() // (1024 * 1024),
        "accept": ",".join([*ACCEPT_SUFFIXES, *TEXT_SUFFIXES]),
        "urls": {
            "files": session_url(role, "files", pk),
            "notes": session_url(role, "notes", pk),
            "follow_ups": session_url(role, "follow_ups", pk),
        },
        "files": files,
        "notes": note_rows,
        "follow_ups": tasks,
        "open_tasks": sum(1 for task in tasks if not task["is_done"]),
        # A refused form: the messages by field, what was typed, and which row they belong to.
        "errors": {},
        "values": {},
        "editing": None,
    }
