"""The aftercare section's form posts: a buyer reporting that the consultant did not come
(under ``/consulting/``, signed in), and the consultant reporting the buyer absent,
confirming their own no-show or sending a book-again offer (under ``/seller/consulting/``,
behind the studio's guard). Each finds the booking among the caller's own (another buyer's,
consultant's or marketplace's is a 404) and calls a service; an htmx request gets the
section back (a refusal beside its field, what was typed kept), a plain post a redirect to
the booking's page with a message."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST

from core.accounts.models import User
from core.errors import DomainError
from core.money import Money, MoneyError
from core.sellers.auth import authorised_seller
from modules.consulting import selectors
from modules.consulting.aftercare_context import Role, aftercare_context
from modules.consulting.models import Booking
from modules.consulting.services import no_show, rebook
from modules.consulting.services.reminders import booking_page_url

PARTIAL = "consulting/partials/aftercare.html"


def _booking(request: HttpRequest, booking_id: int, role: Role) -> Booking:
    if role == "buyer":
        user = request.user
        assert isinstance(user, User)
        found = selectors.bookings_of(user)
    else:
        found = selectors.calendar_of(authorised_seller(request))
    booking = (
        found.filter(pk=booking_id)
        .select_related("consultant__seller", "session_type__product")
        .first()
    )
    if booking is None:
        raise Http404("No such booking.")
    return booking


def _field_of(error: DomainError) -> str:
    details = error.details if isinstance(error.details, dict) else {}
    return str(details.get("field", "form"))


def _answer(
    request: HttpRequest,
    booking_id: int,
    role: Role,
    *,
    done: str = "",
    refusal: DomainError | None = None,
) -> HttpResponse:
    """The section again (htmx) or a redirect to the booking's page (a plain post)."""
    booking = _booking(request, booking_id, role)
    if request.headers.get("HX-Request") != "true":
        if refusal is not None:
            messages.error(request, refusal.message)
        elif done:
            messages.success(request, done)
        return HttpResponseRedirect(booking_page_url(booking, role) + f"#aftercare-{booking.pk}")
    errors = {_field_of(refusal): refusal.message} if refusal is not None else {}
    values = request.POST.dict() if refusal is not None else {}
    context = aftercare_context(booking, role=role, errors=errors, values=values, notice=done)
    # htmx swaps 2xx answers only: a refusal is the section again, its error beside the field.
    return render(request, PARTIAL, {"booking": booking, "aftercare": context})


@login_required
@require_POST
def buyer_no_show(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _booking(request, booking_id, "buyer")
    user = request.user
    assert isinstance(user, User)
    try:
        no_show.report_consultant_absent(
            buyer=user, booking_id=booking.pk, reason=request.POST.get("reason", "")[:2000]
        )
    except DomainError as error:
        return _answer(request, booking.pk, "buyer", refusal=error)
    done = "Reported. A dispute is open and the payment is held until it is decided."
    return _answer(request, booking.pk, "buyer", done=done)


@require_POST
def studio_no_show(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _booking(request, booking_id, "consultant")
    try:
        no_show.report_buyer_absent(seller=authorised_seller(request), booking_id=booking.pk)
    except DomainError as error:
        return _answer(request, booking.pk, "consultant", refusal=error)
    return _answer(request, booking.pk, "consultant", done="Reported; the buyer was told.")


@require_POST
def studio_confirm(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _booking(request, booking_id, "consultant")
    try:
        confirmed = no_show.confirm_consultant_absent(
            seller=authorised_seller(request), booking_id=booking.pk
        )
    except DomainError as error:
        return _answer(request, booking.pk, "consultant", refusal=error)
    refunded = Money(confirmed.refunded, confirmed.booking.currency)
    return _answer(request, booking.pk, "consultant", done=f"Confirmed; {refunded} refunded.")


def _offer_data(post: Any, currency: str) -> rebook.OfferData:
    """The form's fields as the service takes them (a price in the currency's units)."""
    try:
        session_type_id = int(post.get("session_type_id", ""))
    except ValueError:
        raise rebook.invalid_offer("session_type_id", "Choose a session.") from None
    try:
        price = Money.parse(post.get("price", ""), currency).amount
    except MoneyError:
        raise rebook.invalid_offer("price", "Give a price such as 75.00.") from None
    try:
        days = int(post.get("expires_in_days", ""))
    except ValueError:
        raise rebook.invalid_offer("expires_in_days", "Give a number of days.") from None
    return rebook.OfferData(
        session_type_id=session_type_id,
        price=price,
        message=post.get("message", ""),
        expires_in_days=days,
    )


@require_POST
def studio_rebook(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _booking(request, booking_id, "consultant")
    try:
        data = _offer_data(request.POST, booking.currency)
        offer = rebook.create_offer(
            seller=authorised_seller(request), booking_id=booking.pk, data=data
        )
    except DomainError as error:
        return _answer(request, booking.pk, "consultant", refusal=error)
    price = Money(offer.price, offer.currency)
    return _answer(request, booking.pk, "consultant", done=f"Offer sent: {price}.")
