"""The seller's gig pages in the studio, mounted at ``/studio/gigs/`` behind the manifest's
permissions (so these views only read the seller): the order queue, what needs action
first, filtered by status, and an
order with the buyer's requirements, the checklist, the revisions asked and the delivery
form (description, notes, links, a file, the checklist ticked). Delivering runs the same
services as the API in one transaction: a refused delivery leaves no draft behind."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Case, F, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError, ErrorKind
from core.money import Money
from core.sellers.auth import authorised_seller
from core.sellers.models import Seller
from modules.gigs import chat, presenters, selectors
from modules.gigs.models import OPEN_STATUSES, DeliveryStatus, GigOrder, OrderStatus
from modules.gigs.services import deliveries

# What the seller should look at first: work they owe, then deliveries the buyer is
# looking at, then orders still waiting for the buyer's requirements.
ACTION_RANK = {
    OrderStatus.IN_PROGRESS: 0,
    OrderStatus.REVISION_REQUESTED: 0,
    OrderStatus.DELIVERED: 1,
    OrderStatus.AWAITING_REQUIREMENTS: 2,
}
LATENESS_RANK = {"very_late": 0, "late": 1}
QUEUE_LIMIT = 200
# The statuses as the seller reads them (the model's labels speak to the buyer).
SELLER_LABELS = {
    **{status.value: str(status.label) for status in OrderStatus},
    OrderStatus.AWAITING_REQUIREMENTS.value: "Waiting for the buyer's requirements",
}
FILTERS = {"open": "All open", **SELLER_LABELS}


def _queue_orders(seller: Seller, status: str) -> QuerySet[GigOrder]:
    orders = GigOrder.objects.filter(seller=seller)
    if status == "open":
        orders = orders.filter(status__in=OPEN_STATUSES)
    else:
        orders = orders.filter(status=status)
    rank = Case(
        *(When(status=value, then=Value(order)) for value, order in ACTION_RANK.items()),
        default=Value(3),
    )
    due_first = F("due_at").asc(nulls_last=True)
    return orders.annotate(action_rank=rank).order_by("action_rank", due_first, "-id")


@never_cache
@require_http_methods(["GET", "HEAD"])
def queue(request: HttpRequest) -> HttpResponse:
    """Open gig orders, what needs action first: very late, late, due soonest; delivered
    ones (the buyer's turn) next, and those waiting for requirements last. One query."""
    seller = authorised_seller(request)
    status = request.GET.get("status", "open")
    if status not in FILTERS:
        status = "open"
    rows = [
        {
            **presenters.order_row(order),
            "status_label": SELLER_LABELS[order.status],
            "price": str(Money(order.amount, order.currency)),
            "rank": ACTION_RANK.get(OrderStatus(order.status), 3),
        }
        for order in _queue_orders(seller, status)[:QUEUE_LIMIT]
    ]
    # Within the seller's work, very late before late whatever each order's frozen policy.
    rows.sort(key=lambda row: (row["rank"], LATENESS_RANK.get(row["lateness"], 2)))
    context = {"seller": seller, "rows": rows, "filters": FILTERS, "status": status}
    return render(request, "gigs/studio_queue.html", context)


def _order_context(request: HttpRequest, order_id: int) -> dict[str, Any]:
    seller = authorised_seller(request)
    try:
        found = selectors.sellers_order_detail(seller, order_id)
    except DomainError as error:
        raise Http404(error.message) from None
    order = presenters.order_dict(found, with_drafts=False)
    order["revisions"] = [
        {"number": row.number, "notes": row.notes, "due_at": row.due_at, "done": row.resolved_at}
        for row in found.revisions.all()
    ]
    return {
        "seller": seller,
        "order": order,
        "status_label": SELLER_LABELS[found.status],
        "price": str(Money(found.amount, found.currency)),
        "can_deliver": found.status in (OrderStatus.IN_PROGRESS, OrderStatus.REVISION_REQUESTED),
        "chat": chat.order_chat(found, user_id=int(request.user.pk or 0)),
    }


@never_cache
@require_http_methods(["GET", "HEAD"])
def order(request: HttpRequest, order_id: int) -> HttpResponse:
    return render(request, "gigs/studio_order.html", _order_context(request, order_id))


@require_POST
def deliver(request: HttpRequest, order_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    links = [line.strip() for line in request.POST.get("links", "").splitlines() if line.strip()]
    data = deliveries.DraftData(
        description=request.POST.get("description", ""),
        notes=request.POST.get("notes", ""),
        links=links,
        checklist_ticked=request.POST.getlist("checklist"),
        preview_url=request.POST.get("preview_url", ""),
    )
    upload = request.FILES.get("file")
    try:
        with transaction.atomic():
            draft = deliveries.save_draft(seller_id=seller.pk, order_id=order_id, data=data)
            if upload is not None:
                deliveries.attach_file(
                    seller_id=seller.pk,
                    order_id=order_id,
                    delivery_id=draft.pk,
                    upload=upload,
                    is_locked_until_accepted=request.POST.get("is_locked") == "on",
                )
            delivered = deliveries.deliver(
                seller_id=seller.pk, order_id=order_id, delivery_id=draft.pk
            )
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        context = _order_context(request, order_id)
        context.update(error=error.message, form=request.POST)
        return render(request, "gigs/studio_order.html", context, status=422)
    if delivered.status == DeliveryStatus.IN_REVIEW:
        messages.success(request, "Delivered: it waits for the marketplace's quality check.")
    else:
        messages.success(request, "Delivered: the buyer has been told.")
    return HttpResponseRedirect(reverse("gigs_studio:order", args=[order_id]))
