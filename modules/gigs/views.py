"""The buyer's gig order pages: ``/gigs/orders/`` (every gig order) and
``/gigs/orders/<id>/`` (the timeline, the requirements form, deliveries with their files,
revision and accept buttons, milestones, cancelling a very late order). They read and write
what the API does: the same selectors, presenters and services. Another buyer's order is a
404; where the module is off the registry's guard answers 404 before these run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from core.accounts.views import signed_in_user
from core.commerce.services import cart as carts
from core.errors import DomainError, ErrorKind
from core.money import Money
from modules.gigs import presenters, selectors
from modules.gigs.models import OrderStatus
from modules.gigs.services import addons, cancellation, deliveries, feedback, milestones, orders


def _timeline(order: dict[str, Any]) -> list[tuple[Any, str]]:
    """What happened, oldest first: (when, what)."""
    events: list[tuple[Any, str]] = [(order["created_at"], "Ordered")]
    if order["requirements_submitted_at"]:
        events.append((order["requirements_submitted_at"], "Requirements sent: the clock started"))
    for delivery in order["deliveries"]:
        kind = "Revision delivered" if delivery["kind"] == "revision" else "Delivered"
        events.append((delivery["submitted_at"], f"{kind} (#{delivery['number']})"))
    for revision in order["revisions"]:
        source = " (decided in a dispute)" if revision["is_from_dispute"] else ""
        events.append((revision["created_at"], f"Revision {revision['number']} asked{source}"))
    for milestone in order["milestones"]:
        if milestone["completed_at"]:
            events.append((milestone["completed_at"], f"Milestone {milestone['number']} accepted"))
    if order["completed_at"]:
        how = "Accepted automatically" if order["is_auto_accepted"] else "Accepted"
        events.append((order["completed_at"], how))
    if order["cancelled_at"]:
        events.append((order["cancelled_at"], "Cancelled and refunded"))
    return sorted(events, key=lambda event: event[0])


@never_cache
@login_required
@require_safe
def order_list(request: HttpRequest) -> HttpResponse:
    rows = [
        {
            **presenters.order_row(order),
            "status_label": OrderStatus(order.status).label,
            "price": str(Money(order.amount, order.currency)),
        }
        for order in selectors.buyer_orders(signed_in_user(request))[:100]
    ]
    return render(request, "gigs/orders.html", {"rows": rows})


@never_cache
@login_required
@require_safe
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    try:
        found = selectors.buyers_order_detail(signed_in_user(request), order_id)
    except DomainError as error:
        raise Http404(error.message) from None
    order = presenters.order_dict(found, with_drafts=False)
    # The page also shows when each revision was asked.
    order["revisions"] = [
        {
            "created_at": row.created_at,
            "number": row.number,
            "is_from_dispute": row.is_from_dispute,
            "notes": row.notes,
            "due_at": row.due_at,
        }
        for row in found.revisions.all()
    ]
    for milestone in order["milestones"]:
        milestone["price"] = str(Money(milestone["amount"], found.currency))
    context = {
        "order": order,
        "price": str(Money(found.amount, found.currency)),
        "status_label": OrderStatus(found.status).label,
        "timeline": _timeline(order),
        "has_proposed_milestones": any(m["status"] == "proposed" for m in order["milestones"]),
        "can_request_cancellation": found.status
        in (
            OrderStatus.AWAITING_REQUIREMENTS,
            OrderStatus.IN_PROGRESS,
            OrderStatus.DELIVERED,
            OrderStatus.REVISION_REQUESTED,
        )
        and found.cancellation_requested_at is None,
        "feedback_dimensions": (
            ("quality", "Quality"),
            ("communication", "Communication"),
            ("timeliness", "On time"),
        ),
        "can_give_feedback": found.status == OrderStatus.COMPLETED
        and not any(item.party == "buyer" for item in found.feedback.all()),
        "revisions_left": None
        if found.revisions_allowed is None
        else found.revisions_allowed - found.revisions_used,
    }
    return render(request, "gigs/order.html", context)


def _act(request: HttpRequest, order_id: int, action: Callable[[], Any], done: str) -> HttpResponse:
    try:
        action()
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return HttpResponseRedirect(reverse("gigs:order", args=[order_id]))


@login_required
@require_POST
def submit_requirements(request: HttpRequest, order_id: int) -> HttpResponse:
    answers = {
        key.removeprefix("answer_"): request.POST.get(key, "")
        for key in request.POST
        if key.startswith("answer_")
    }
    buyer = signed_in_user(request)
    return _act(
        request,
        order_id,
        lambda: orders.submit_requirements(buyer=buyer, order_id=order_id, answers=answers),
        "Thanks: your requirements are in and the seller's clock started.",
    )


@login_required
@require_POST
def request_revision(request: HttpRequest, order_id: int) -> HttpResponse:
    buyer = signed_in_user(request)
    notes = request.POST.get("notes", "")
    return _act(
        request,
        order_id,
        lambda: deliveries.request_revision(buyer=buyer, order_id=order_id, notes=notes),
        "Revision asked for.",
    )


@login_required
@require_POST
def accept(request: HttpRequest, order_id: int) -> HttpResponse:
    buyer = signed_in_user(request)
    return _act(
        request,
        order_id,
        lambda: deliveries.accept(buyer=buyer, order_id=order_id),
        "Accepted: the seller is paid.",
    )


@login_required
@require_POST
def agree_milestones(request: HttpRequest, order_id: int) -> HttpResponse:
    buyer = signed_in_user(request)
    return _act(
        request,
        order_id,
        lambda: milestones.agree_milestones(buyer=buyer, order_id=order_id),
        "Milestones agreed.",
    )


@login_required
@require_POST
def cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    buyer = signed_in_user(request)
    return _act(
        request,
        order_id,
        lambda: orders.cancel_very_late(buyer=buyer, order_id=order_id),
        "Cancelled: the full price is on its way back to you.",
    )


@login_required
@require_POST
def buy_extra_revision(request: HttpRequest, order_id: int) -> HttpResponse:
    """The extra revision's offer goes straight into the cart; the buyer pays it there."""
    buyer = signed_in_user(request)
    try:
        addon = addons.buy_extra_revision(buyer=buyer, order_id=order_id)
        cart = carts.get_or_create_cart(buyer=buyer, token=None)
        carts.add_offer(cart=cart, buyer=buyer, offer_id=addon.offer_id)
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        messages.error(request, error.message)
        return HttpResponseRedirect(reverse("gigs:order", args=[order_id]))
    messages.success(request, "An extra revision is in your cart.")
    return HttpResponseRedirect(reverse("commerce:cart"))


@login_required
@require_POST
def request_cancellation(request: HttpRequest, order_id: int) -> HttpResponse:
    buyer = signed_in_user(request)
    reason = request.POST.get("reason", "")

    def ask() -> None:
        own = orders.buyers_order(buyer=buyer, order_id=order_id)
        cancellation.request_cancellation(order_id=own.pk, party="buyer", reason=reason)

    return _act(request, order_id, ask, "Asked: the seller has 48 hours to answer.")


@login_required
@require_POST
def answer_cancellation(request: HttpRequest, order_id: int) -> HttpResponse:
    buyer = signed_in_user(request)
    is_accepted = request.POST.get("answer") == "accept"

    def answer() -> None:
        own = orders.buyers_order(buyer=buyer, order_id=order_id)
        cancellation.answer_cancellation(order_id=own.pk, party="buyer", is_accepted=is_accepted)

    return _act(request, order_id, answer, "Answered.")


@login_required
@require_POST
def leave_feedback(request: HttpRequest, order_id: int) -> HttpResponse:
    buyer = signed_in_user(request)

    def score(name: str) -> int:
        value = request.POST.get(name, "")
        return int(value) if value.isdigit() else 0

    def give() -> None:
        own = orders.buyers_order(buyer=buyer, order_id=order_id)
        feedback.leave_feedback(
            order_id=own.pk,
            party="buyer",
            scores=feedback.Scores(
                quality=score("quality"),
                communication=score("communication"),
                timeliness=score("timeliness"),
                comment=request.POST.get("comment", ""),
            ),
        )

    return _act(request, order_id, give, "Thanks for your feedback.")
