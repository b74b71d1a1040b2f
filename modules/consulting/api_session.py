"""Part of the module's API (owned by H3a this session): ``router`` joins the buyer router at
``/api/v1/consulting/``, ``seller_router`` the seller router (no auth of its own).

A booking's documents (list, upload as multipart, download, remove your own), meeting notes
(the buyer lists shared notes only; each side adds, edits and deletes its own) and
follow-up tasks (list, add, tick, remove your own). The booking is found among the caller's
own: another buyer's, consultant's or marketplace's is a 404 on every endpoint."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from core.accounts.auth import user_auth
from core.accounts.models import User
from core.accounts.principal import principal_of
from core.schemas import StrictSchema
from core.sellers.auth import authorised_seller
from modules.consulting import selectors
from modules.consulting.errors import not_found
from modules.consulting.models import Booking
from modules.consulting.services import documents, follow_ups, notes
from modules.consulting.services.session_access import Role
from modules.consulting.session_context import session_context
from modules.consulting.session_pages import serve_booking_file

router = Router(tags=["consulting"], auth=user_auth)
seller_router = Router(tags=["consulting"])

DOWNLOAD_OPENAPI: dict[str, Any] = {
    "responses": {
        200: {
            "description": "The file (local storage)",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        },
        302: {"description": "A presigned URL of the file (object storage), valid five minutes"},
    }
}


class FileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    by: str
    is_mine: bool
    created_at: datetime
    url: str


class NoteIn(StrictSchema):
    body: str = Field(..., max_length=20_000)
    is_shared: bool = False  # the buyer's notes are always shared


class NoteEditIn(StrictSchema):
    body: str = Field(..., max_length=20_000)
    is_shared: bool | None = None


class NoteOut(Schema):
    id: int
    body: str
    is_shared: bool
    by: str
    is_mine: bool
    created_at: datetime


class FollowUpIn(StrictSchema):
    text: str = Field(..., max_length=1000)
    due_on: date | None = None


class TickIn(StrictSchema):
    is_done: bool = True


class FollowUpOut(Schema):
    id: int
    text: str
    due_on: date | None
    is_done: bool
    done_at: datetime | None
    by: str
    is_mine: bool


def _buyer_booking(request: HttpRequest, booking_id: int) -> tuple[Booking, User, Role]:
    user = principal_of(request).user
    booking = (
        selectors.bookings_of(user)
        .select_related("consultant__seller", "session_type__product")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        raise not_found()
    return booking, user, "buyer"


def _consultant_booking(request: HttpRequest, booking_id: int) -> tuple[Booking, User, Role]:
    booking = (
        selectors.calendar_of(authorised_seller(request))
        .select_related("consultant__seller", "session_type__product")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        raise not_found()
    user = request.user if isinstance(request.user, User) else principal_of(request).user
    return booking, user, "consultant"


def _listed(booking: Booking, role: Role, key: str, item_id: int | None = None) -> Any:
    rows = session_context(booking, role=role)[key]
    if item_id is None:
        return rows
    return next(row for row in rows if row["id"] == item_id)


def _add_routes(target: Router, find: Any, side: str) -> None:
    """The same endpoints for both sides; ``find`` resolves the booking and the role."""

    @target.get(
        "/bookings/{booking_id}/files",
        operation_id=f"consulting_{side}_list_files",
        response=list[FileOut],
        summary="A booking's documents",
    )
    def list_files(request: HttpRequest, booking_id: int) -> Any:
        booking, _, role = find(request, booking_id)
        return _listed(booking, role, "files")

    @target.post(
        "/bookings/{booking_id}/files",
        operation_id=f"consulting_{side}_upload_file",
        response={201: FileOut},
        summary="Share a document (multipart ``file``; PDFs, images, office documents, text)",
    )
    def upload_file(request: HttpRequest, booking_id: int, file: File[UploadedFile]) -> Any:
        booking, user, role = find(request, booking_id)
        stored = documents.upload_file(booking=booking, actor=user, role=role, upload=file)
        return Status(201, _listed(booking, role, "files", stored.pk))

    @target.get(
        "/bookings/{booking_id}/files/{file_id}",
        operation_id=f"consulting_{side}_download_file",
        openapi_extra=DOWNLOAD_OPENAPI,
        summary="Download a document of the booking",
    )
    def download_file(request: HttpRequest, booking_id: int, file_id: int) -> HttpResponseBase:
        booking, _, _ = find(request, booking_id)
        return serve_booking_file(documents.listed_file(booking, file_id))

    @target.delete(
        "/bookings/{booking_id}/files/{file_id}",
        operation_id=f"consulting_{side}_remove_file",
        response={204: None},
        summary="Remove a document you shared",
    )
    def remove_file(request: HttpRequest, booking_id: int, file_id: int) -> Any:
        booking, user, role = find(request, booking_id)
        documents.remove_file(booking=booking, actor=user, role=role, file_id=file_id)
        return Status(204, None)

    @target.get(
        "/bookings/{booking_id}/notes",
        operation_id=f"consulting_{side}_list_notes",
        response=list[NoteOut],
        summary="Meeting notes (the buyer sees shared notes only)",
    )
    def list_notes(request: HttpRequest, booking_id: int) -> Any:
        booking, _, role = find(request, booking_id)
        return _listed(booking, role, "notes")

    @target.post(
        "/bookings/{booking_id}/notes",
        operation_id=f"consulting_{side}_add_note",
        response={201: NoteOut},
        summary="Add a note (the consultant's are private unless shared; the buyer's are shared)",
    )
    def add_note(request: HttpRequest, booking_id: int, payload: NoteIn) -> Any:
        booking, user, role = find(request, booking_id)
        note = notes.add_note(
            booking=booking, actor=user, role=role, body=payload.body, is_shared=payload.is_shared
        )
        return Status(201, _listed(booking, role, "notes", note.pk))

    @target.put(
        "/bookings/{booking_id}/notes/{note_id}",
        operation_id=f"consulting_{side}_edit_note",
        response=NoteOut,
        summary="Change one of your notes",
    )
    def edit_note(request: HttpRequest, booking_id: int, note_id: int, payload: NoteEditIn) -> Any:
        booking, user, role = find(request, booking_id)
        notes.edit_note(
            booking=booking,
            actor=user,
            role=role,
            note_id=note_id,
            body=payload.body,
            is_shared=payload.is_shared,
        )
        return _listed(booking, role, "notes", note_id)

    @target.delete(
        "/bookings/{booking_id}/notes/{note_id}",
        operation_id=f"consulting_{side}_delete_note",
        response={204: None},
        summary="Delete one of your notes",
    )
    def delete_note(request: HttpRequest, booking_id: int, note_id: int) -> Any:
        booking, user, role = find(request, booking_id)
        notes.delete_note(booking=booking, actor=user, role=role, note_id=note_id)
        return Status(204, None)

    @target.get(
        "/bookings/{booking_id}/follow-ups",
        operation_id=f"consulting_{side}_list_follow_ups",
        response=list[FollowUpOut],
        summary="The booking's follow-up tasks, in order",
    )
    def list_follow_ups(request: HttpRequest, booking_id: int) -> Any:
        booking, _, role = find(request, booking_id)
        return _listed(booking, role, "follow_ups")

    @target.post(
        "/bookings/{booking_id}/follow-ups",
        operation_id=f"consulting_{side}_add_follow_up",
        response={201: FollowUpOut},
        summary="Add a follow-up task (the other side is told)",
    )
    def add_follow_up(request: HttpRequest, booking_id: int, payload: FollowUpIn) -> Any:
        booking, user, role = find(request, booking_id)
        task = follow_ups.add_follow_up(
            booking=booking, actor=user, role=role, text=payload.text, due_on=payload.due_on
        )
        return Status(201, _listed(booking, role, "follow_ups", task.pk))

    @target.post(
        "/bookings/{booking_id}/follow-ups/{follow_up_id}/tick",
        operation_id=f"consulting_{side}_tick_follow_up",
        response=FollowUpOut,
        summary="Tick a task off (or ``is_done: false`` to untick it)",
    )
    def tick_follow_up(
        request: HttpRequest, booking_id: int, follow_up_id: int, payload: TickIn
    ) -> Any:
        booking, user, role = find(request, booking_id)
        follow_ups.tick_follow_up(
            booking=booking,
            actor=user,
            role=role,
            follow_up_id=follow_up_id,
            is_done=payload.is_done,
        )
        return _listed(booking, role, "follow_ups", follow_up_id)

    @target.delete(
        "/bookings/{booking_id}/follow-ups/{follow_up_id}",
        operation_id=f"consulting_{side}_remove_follow_up",
        response={204: None},
        summary="Remove a task you added",
    )
    def remove_follow_up(request: HttpRequest, booking_id: int, follow_up_id: int) -> Any:
        booking, user, role = find(request, booking_id)
        follow_ups.remove_follow_up(
            booking=booking, actor=user, role=role, follow_up_id=follow_up_id
        )
        return Status(204, None)


_add_routes(router, _buyer_booking, "buyer")
_add_routes(seller_router, _consultant_booking, "seller")
