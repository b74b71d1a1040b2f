"""The documents, notes and follow-ups sections of a booking, for its buyer (under
``/consulting/``, signed in) and its consultant (under ``/seller/consulting/``, behind the
studio's guard). Each view finds the booking among the caller's own (another buyer's or
consultant's, or another marketplace's, is a 404), calls a service, and answers an htmx
request with its section re-rendered (a refusal beside the field, what was typed kept) or a
plain form post with a redirect back to the booking's page. A GET without htmx shows the
section on a page of its own."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models.fields.files import FieldFile
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.accounts.models import User
from core.errors import DomainError, ErrorKind
from core.sellers.auth import authorised_seller
from core.storage import private_file_url
from modules.consulting import selectors
from modules.consulting.errors import ConsultingErrorCode
from modules.consulting.models import Booking, BookingFile
from modules.consulting.services import documents, follow_ups, notes
from modules.consulting.services.session_access import (
    Role,
    booking_url,
    invalid,
)
from modules.consulting.session_context import session_context

PARTS = {
    "files": "consulting/partials/session_files.html",
    "notes": "consulting/partials/session_notes.html",
    "follow_ups": "consulting/partials/session_follow_ups.html",
}
ANCHORS = {"files": "session-files", "notes": "session-notes", "follow_ups": "session-follow-ups"}


def find_booking(request: HttpRequest, booking_id: int, role: Role) -> Booking:
    """The booking among the caller's own, or a 404 (whoever else's it is)."""
    if role == "buyer":
        found = selectors.bookings_of(request.user).filter(pk=booking_id)  # type: ignore[arg-type]
    else:
        found = selectors.calendar_of(authorised_seller(request)).filter(pk=booking_id)
    booking = found.select_related("consultant__seller", "session_type__product").first()
    if booking is None:
        raise Http404("No such booking.")
    return booking


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # buyer views are signed in, studio views guarded
    return user


def _render(
    request: HttpRequest,
    booking: Booking,
    role: Role,
    part: str,
    *,
    refusal: DomainError | None = None,
    editing: int | None = None,
) -> HttpResponse:
    session = session_context(booking, role=role)
    if refusal is not None:
        field = (
            (refusal.details or {}).get("field", "form")
            if isinstance(refusal.details, dict)
            else "form"
        )
        session["errors"] = {field: refusal.message}
        session["values"] = request.POST.dict()
        session["editing"] = editing
    context: dict[str, Any] = {"booking": booking, "role": role, "session": session}
    is_htmx = request.headers.get("HX-Request") == "true"
    if is_htmx:
        # htmx swaps 2xx answers only: a refusal is the section again, its error beside the field.
        return render(request, PARTS[part], context)
    zone = booking.buyer_zone if role == "buyer" else booking.consultant.time_zone
    context.update(part=PARTS[part], back_url=booking_url(booking, role), zone=zone)
    if role == "consultant":
        context["seller"] = authorised_seller(request)
    status = 422 if refusal is not None else 200
    return render(request, "consulting/partials/session_page.html", context, status=status)


def _done(request: HttpRequest, booking: Booking, role: Role, part: str) -> HttpResponse:
    if request.headers.get("HX-Request") == "true":
        return _render(request, booking, role, part)
    return HttpResponseRedirect(f"{booking_url(booking, role)}#{ANCHORS[part]}")


def _attempt(
    request: HttpRequest,
    booking: Booking,
    role: Role,
    part: str,
    action: Any,
    *,
    editing: int | None = None,
) -> HttpResponse:
    try:
        action()
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        return _render(request, booking, role, part, refusal=error, editing=editing)
    return _done(request, booking, role, part)


def _due(raw: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise invalid(
            ConsultingErrorCode.INVALID_FOLLOW_UP, "due_on", "Give the due date as a date."
        ) from None


def serve_booking_file(found: BookingFile) -> HttpResponseBase:
    """A listed file, after the caller's access check: a presigned URL on object storage
    (five minutes), or streamed from local storage; never cached, never sniffed."""
    stored: FieldFile = found.file
    url = private_file_url(
        stored, download_name=found.original_name, content_type=found.content_type
    )
    if url is not None:
        redirect = HttpResponseRedirect(url)
        redirect["Cache-Control"] = "private, no-store"
        return redirect
    response = FileResponse(
        stored.open("rb"),
        as_attachment=True,
        filename=found.original_name,
        content_type=found.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the sections ------------------------------------------------------------------------


@never_cache
def files(request: HttpRequest, booking_id: int, role: Role) -> HttpResponse:
    booking = find_booking(request, booking_id, role)
    if request.method != "POST":
        return _render(request, booking, role, "files")
    upload = request.FILES.get("file")

    def upload_it() -> None:
        if upload is None:
            raise invalid(ConsultingErrorCode.FILE_REFUSED, "file", "Choose a file to share.")
        documents.upload_file(booking=booking, actor=_actor(request), role=role, upload=upload)

    return _attempt(request, booking, role, "files", upload_it)


@require_GET
def download(request: HttpRequest, booking_id: int, file_id: int, role: Role) -> HttpResponseBase:
    booking = find_booking(request, booking_id, role)
    try:
        found = documents.listed_file(booking, file_id)
    except DomainError as error:
        raise Http404(error.message) from None
    return serve_booking_file(found)


@require_POST
def remove_file(request: HttpRequest, booking_id: int, file_id: int, role: Role) -> HttpResponse:
    booking = find_booking(request, booking_id, role)
    return _attempt(
        request,
        booking,
        role,
        "files",
        lambda: documents.remove_file(
            booking=booking, actor=_actor(request), role=role, file_id=file_id
        ),
    )


@never_cache
def note_list(request: HttpRequest, booking_id: int, role: Role) -> HttpResponse:
    booking = find_booking(request, booking_id, role)
    if request.method != "POST":
        return _render(request, booking, role, "notes")
    return _attempt(
        request,
        booking,
        role,
        "notes",
        lambda: notes.add_note(
            booking=booking,
            actor=_actor(request),
            role=role,
            body=request.POST.get("body", ""),
            is_shared=request.POST.get("is_shared") == "on",
        ),
    )


@require_POST
def note_edit(request: HttpRequest, booking_id: int, note_id: int, role: Role) -> HttpResponse:
    booking = find_booking(request, booking_id, role)
    return _attempt(
        request,
        booking,
        role,
        "notes",
        lambda: notes.edit_note(
            booking=booking,
            actor=_actor(request),
            role=role,
            note_id=note_id,
            body=request.POST.get("body", ""),
            is_shared=request.POST.get("is_shared") == "on",
        ),
        editing=note_id,
    )


@require_POST
def note_delete(request: HttpRequest, booking_id: int, note_id: int, role: Role) -> HttpResponse:
    booking = find_booking(request, booking_id, role)
    return _attempt(
        request,
        booking,
        role,
        "notes",
        lambda: notes.delete_note(
            booking=booking, actor=_actor(request), role=role, note_id=note_id
        ),
    )


@never_cache
def follow_up_list(request: HttpRequest, booking_id: int, role: Role) -> HttpResponse:
    booking = find_booking(request, booking_id, role)
    if request.method != "POST":
        return _render(request, booking, role, "follow_ups")
    return _attempt(
        request,
        booking,
        role,
        "follow_ups",
        lambda: follow_ups.add_follow_up(
            booking=booking,
            actor=_actor(request),
            role=role,
            text=request.POST.get("text", ""),
            due_on=_due(request.POST.get("due_on", "")),
        ),
    )


@require_POST
def follow_up_tick(
    request: HttpRequest, booking_id: int, follow_up_id: int, role: Role
) -> HttpResponse:
    booking = find_booking(request, booking_id, role)
    return _attempt(
        request,
        booking,
        role,
        "follow_ups",
        lambda: follow_ups.tick_follow_up(
            booking=booking,
            actor=_actor(request),
            role=role,
            follow_up_id=follow_up_id,
            is_done=request.POST.get("is_done") == "1",
        ),
    )


@require_POST
def follow_up_delete(
    request: HttpRequest, booking_id: int, follow_up_id: int, role: Role
) -> HttpResponse:
    booking = find_booking(request, booking_id, role)
    return _attempt(
        request,
        booking,
        role,
        "follow_ups",
        lambda: follow_ups.remove_follow_up(
            booking=booking, actor=_actor(request), role=role, follow_up_id=follow_up_id
        ),
    )
