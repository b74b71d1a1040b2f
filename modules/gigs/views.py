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

from core.accounts.models import User
from core.accounts.views import signed_in_user
from core.commerce.services import cart as carts
from core.disputes.selectors import open_dispute_on_line
from core.errors import DomainError, ErrorKind
from core.money import Money
from modules.gigs import chat, presenters, selectors
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
        if delivery["qc_decided_at"]:
            events.append((delivery["qc_decided_at"], "Checked by the marketplace"))
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
    waiting = [m for m in order["milestones"] if m["status"] == "pending" and not m["is_funded"]]
    context = {
        "chat": chat.order_chat(found, user_id=found.buyer_id),
        # While a dispute is open the escrow is frozen: nothing is accepted or paid until the
        # dispute is decided, so the page says so instead of offering the buttons.
        "dispute": open_dispute_on_line(found.order_line_id),
        # A funded plan: the next milestone to fund (the buyer may fund it any time).
        "next_to_fund": waiting[0]
        if order["milestone_funding"] == "per_milestone" and waiting
        else None,
        "can_release_part": found.status
        in (OrderStatus.IN_PROGRESS, OrderStatus.DELIVERED, OrderStatus.REVISION_REQUESTED)
        and order["milestone_funding"] != "shares",
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


def _buyer_action(
    done: str, action: Callable[[HttpRequest, User, int], Any]
) -> Callable[[HttpRequest, int], HttpResponse]:
    """A POST of the buyer's order page: ``action(request, buyer, order_id)`` (the services
    find the buyer's own order; another's is a 404), then back to the order with ``done``
    or the refusal."""

    @login_required
    @require_POST
    def view(request: HttpRequest, order_id: int) -> HttpResponse:
        buyer = signed_in_user(request)
        return _act(request, order_id, lambda: action(request, buyer, order_id), done)

    return view


def _into_cart(
    request: HttpRequest, order_id: int, offer: Callable[[], Any], done: str
) -> HttpResponse:
    """An offer made for the order (an extra revision, a milestone's funding) goes straight
    into the cart; the buyer pays it there."""
    buyer = signed_in_user(request)
    try:
        addon = offer()
        cart = carts.get_or_create_cart(buyer=buyer, token=None)
        carts.add_offer(cart=cart, buyer=buyer, offer_id=addon.offer_id)
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        messages.error(request, error.message)
        return HttpResponseRedirect(reverse("gigs:order", args=[order_id]))
    messages.success(request, done)
    return HttpResponseRedirect(reverse("commerce:cart"))


def _answers(request: HttpRequest) -> dict[str, str]:
    return {
        key.removeprefix("answer_"): request.POST.get(key, "")
        for key in request.POST
        if key.startswith("answer_")
    }


def _scores(request: HttpRequest) -> feedback.Scores:
    def score(name: str) -> int:
        value = request.POST.get(name, "")
        return int(value) if value.isdigit() else 0

    return feedback.Scores(
        quality=score("quality"),
        communication=score("communication"),
        timeliness=score("timeliness"),
        comment=request.POST.get("comment", ""),
    )


def _own(buyer: User, order_id: int) -> int:
    return orders.buyers_order(buyer=buyer, order_id=order_id).pk


def _int(request: HttpRequest, name: str) -> int:
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() else 0


submit_requirements = _buyer_action(
    "Thanks: your requirements are in and the seller's clock started.",
    lambda request, buyer, order_id: orders.submit_requirements(
        buyer=buyer, order_id=order_id, answers=_answers(request)
    ),
)
request_revision = _buyer_action(
    "Revision asked for.",
    lambda request, buyer, order_id: deliveries.request_revision(
        buyer=buyer, order_id=order_id, notes=request.POST.get("notes", "")
    ),
)
accept = _buyer_action(
    "Accepted: the seller is paid.",
    lambda request, buyer, order_id: deliveries.accept(
        buyer=buyer, order_id=order_id, confirmed=request.POST.getlist("confirm")
    ),
)
agree_milestones = _buyer_action(
    "Milestones agreed.",
    lambda request, buyer, order_id: milestones.agree_milestones(buyer=buyer, order_id=order_id),
)
release_part = _buyer_action(
    "Released: the seller has that part now.",
    lambda request, buyer, order_id: milestones.release_part(
        buyer=buyer, order_id=order_id, percent=_int(request, "percent")
    ),
)
cancel = _buyer_action(
    "Cancelled: the full price is on its way back to you.",
    lambda request, buyer, order_id: orders.cancel_very_late(buyer=buyer, order_id=order_id),
)
request_cancellation = _buyer_action(
    "Asked: the seller has 48 hours to answer.",
    lambda request, buyer, order_id: cancellation.request_cancellation(
        order_id=_own(buyer, order_id), party="buyer", reason=request.POST.get("reason", "")
    ),
)
answer_cancellation = _buyer_action(
    "Answered.",
    lambda request, buyer, order_id: cancellation.answer_cancellation(
        order_id=_own(buyer, order_id),
        party="buyer",
        is_accepted=request.POST.get("answer") == "accept",
    ),
)
leave_feedback = _buyer_action(
    "Thanks for your feedback.",
    lambda request, buyer, order_id: feedback.leave_feedback(
        order_id=_own(buyer, order_id), party="buyer", scores=_scores(request)
    ),
)


@login_required
@require_POST
def buy_extra_revision(request: HttpRequest, order_id: int) -> HttpResponse:
    buyer = signed_in_user(request)
    return _into_cart(
        request,
        order_id,
        lambda: addons.buy_extra_revision(buyer=buyer, order_id=order_id),
        "An extra revision is in your cart.",
    )


@login_required
@require_POST
def fund_milestone(request: HttpRequest, order_id: int, number: int) -> HttpResponse:
    buyer = signed_in_user(request)
    return _into_cart(
        request,
        order_id,
        lambda: milestones.fund_milestone(buyer=buyer, order_id=order_id, number=number),
        f"Milestone {number} is in your cart: once paid it is held in escrow and its work starts.",
    )
