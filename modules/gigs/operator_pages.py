"""The operator's gig pages, mounted at ``/operator/gigs/`` for operators past the second
factor (core guards the area, so the views check nothing themselves; everything read is in
the current marketplace's schema, so another marketplace's orders are out of reach):

- ``/operator/gigs/``: gig orders, filtered by state and lateness, found by order id or
  the buyer's e-mail, paginated; counts by state;
- ``/operator/gigs/orders/<id>/``: one order with its timeline (the quality check's steps
  too) and deliveries;
- ``/operator/gigs/qc/``: deliveries waiting for the quality check, oldest first, with the
  checklist, files and notes, and the approve / return-with-a-note forms;
- ``/operator/gigs/files/<id>``: a delivered file (original or preview)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError, ErrorKind
from core.money import Money
from modules.gigs import files, presenters
from modules.gigs.models import DeliveryStatus, GigDelivery, GigOrder, OrderStatus
from modules.gigs.services import qc
from modules.gigs.services.orders import WORKING, lateness

PER_PAGE = 25
LATENESS = (("", "Any"), ("late", "Late (past due)"), ("very_late", "Very late"))
# The states as an operator reads them (the model's labels speak to the buyer).
STATUS_LABELS = {
    **dict(OrderStatus.choices),
    OrderStatus.AWAITING_REQUIREMENTS: "Waiting for requirements",
    OrderStatus.IN_REVIEW: "In review (QC)",
}


def _rows(orders: list[GigOrder]) -> list[dict[str, object]]:
    return [
        {
            **presenters.order_row(order),
            "status_label": STATUS_LABELS[order.status],
            "price": str(Money(order.amount, order.currency)),
            "seller": order.seller.business_name,
            "buyer": order.buyer.email,
        }
        for order in orders
    ]


def _filtered(request: HttpRequest) -> tuple[QuerySet[GigOrder], dict[str, str]]:
    status = request.GET.get("status", "")
    late = request.GET.get("late", "")
    query = request.GET.get("q", "").strip()[:200]
    orders = GigOrder.objects.select_related("seller", "buyer")
    if status in OrderStatus.values:
        orders = orders.filter(status=status)
    else:
        status = ""
    now = timezone.now()
    if late in ("late", "very_late"):
        orders = orders.filter(status__in=WORKING, due_at__lt=now)
        if late == "very_late":  # past due by each order's frozen very-late hours
            candidates = GigOrder.objects.filter(status__in=WORKING, due_at__lt=now).only(
                "pk", "status", "due_at", "policy"
            )
            very_late = [row.pk for row in candidates if lateness(row, now) == "very_late"]
            orders = orders.filter(pk__in=very_late)
        orders = orders.order_by("due_at", "id")
    else:
        late = ""
        orders = orders.order_by("-id")
    if query:
        number = query.lstrip("#")
        if number.isdigit():
            orders = orders.filter(Q(pk=int(number)) | Q(order_line__order_id=int(number)))
        elif "@" in query:
            orders = orders.filter(buyer__email__iexact=query)
        else:
            orders = orders.filter(title__icontains=query)
    return orders, {"status": status, "late": late, "q": query}


@never_cache
@require_http_methods(["GET", "HEAD"])
def gig_orders(request: HttpRequest) -> HttpResponse:
    counts = dict(GigOrder.objects.values_list("status").annotate(count=Count("pk")).order_by())
    orders, chosen = _filtered(request)
    page = Paginator(orders, PER_PAGE).get_page(request.GET.get("page"))
    keep = "&".join(f"{key}={value}" for key, value in chosen.items() if value)
    context = {
        "counts": [
            (value, STATUS_LABELS[value], counts.get(value, 0)) for value in OrderStatus.values
        ],
        "in_review": counts.get(OrderStatus.IN_REVIEW, 0),
        "rows": _rows(list(page.object_list)),
        "page": page,
        "chosen": chosen,
        "keep": keep,
        "statuses": list(STATUS_LABELS.items()),
        "lateness": LATENESS,
    }
    return render(request, "gigs/operator_orders.html", context)


def _timeline(order: GigOrder, deliveries: list[GigDelivery]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = [{"at": order.created_at, "what": "Ordered"}]
    if order.requirements_submitted_at:
        steps.append(
            {"at": order.requirements_submitted_at, "what": "Requirements sent: clock started"}
        )
    for delivery in deliveries:
        if delivery.submitted_at and not delivery.qc_state:
            kind = "Revision delivered" if delivery.kind == "revision" else "Delivered"
            steps.append({"at": delivery.submitted_at, "what": f"{kind} (#{delivery.number})"})
    for step in qc.steps(deliveries):
        steps.append({"at": step.at, "what": step.what, "note": step.note, "by": step.by})
    for revision in order.revisions.all():
        source = " (decided in a dispute)" if revision.is_from_dispute else ""
        what = f"Revision {revision.number} asked{source}"
        steps.append({"at": revision.created_at, "what": what, "note": revision.notes})
    if order.completed_at:
        how = "Accepted automatically" if order.is_auto_accepted else "Accepted"
        steps.append({"at": order.completed_at, "what": how})
    if order.cancelled_at:
        steps.append({"at": order.cancelled_at, "what": f"Cancelled ({order.cancel_reason})"})
    return sorted(steps, key=lambda step: step["at"])


@never_cache
@require_http_methods(["GET", "HEAD"])
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = (
        GigOrder.objects.select_related("seller", "buyer")
        .prefetch_related("revisions")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise Http404("No such gig order.")
    deliveries = list(
        order.deliveries.exclude(status=DeliveryStatus.DRAFT)
        .select_related("qc_decided_by")
        .prefetch_related("files")
        .order_by("id")
    )
    context = {
        "order": order,
        "row": _rows([order])[0],
        "deliveries": [_delivery_card(delivery, order) for delivery in reversed(deliveries)],
        "timeline": _timeline(order, deliveries),
    }
    return render(request, "gigs/operator_order.html", context)


def _delivery_card(delivery: GigDelivery, order: GigOrder) -> dict[str, Any]:
    return {
        "delivery": delivery,
        "order": order,
        "checklist": [(item, item in delivery.checklist_ticked) for item in order.checklist],
        "files": list(delivery.files.all()),
        "waited": timezone.now() - delivery.submitted_at if delivery.submitted_at else None,
    }


@never_cache
@require_http_methods(["GET", "HEAD"])
def qc_queue(request: HttpRequest) -> HttpResponse:
    page = Paginator(qc.queue(), PER_PAGE).get_page(request.GET.get("page"))
    cards = [_delivery_card(delivery, delivery.order) for delivery in page.object_list]
    return render(request, "gigs/operator_qc.html", {"page": page, "cards": cards})


def _decided(request: HttpRequest, decide: Any, success: str) -> HttpResponse:
    try:
        delivery = decide()
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        messages.error(request, error.message)
    else:
        messages.success(request, success.format(number=delivery.number, order=delivery.order_id))
    return HttpResponseRedirect(reverse("gigs_operator:qc"))


@require_POST
def qc_approve(request: HttpRequest, delivery_id: int) -> HttpResponse:
    operator = request.user
    assert operator.is_authenticated
    return _decided(
        request,
        lambda: qc.approve(operator=operator, delivery_id=delivery_id),
        "Delivery #{number} of order #{order} approved: the buyer has been told.",
    )


@require_POST
def qc_return(request: HttpRequest, delivery_id: int) -> HttpResponse:
    operator = request.user
    assert operator.is_authenticated
    note = request.POST.get("note", "")
    return _decided(
        request,
        lambda: qc.return_to_seller(operator=operator, delivery_id=delivery_id, note=note),
        "Delivery #{number} of order #{order} returned to the seller with your note.",
    )


@never_cache
@require_http_methods(["GET", "HEAD"])
def delivery_file(request: HttpRequest, file_id: int) -> HttpResponseBase:
    try:
        found = files.operator_file(file_id)
    except DomainError as error:
        raise Http404(error.message) from None
    if request.GET.get("preview") and found.preview:
        return files.serve_preview(found)
    return files.serve(found)
