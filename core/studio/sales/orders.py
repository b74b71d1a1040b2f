"""The studio's orders (``/studio/orders/``): the queue, with what needs the seller first, and
a sub-order's page with its lines, the buyer, what was delivered, the money, the history and
the seller's actions (refund lines, restart a stuck fulfilment). Actions call the commerce
services (``refund_order``, the ``fulfil_order_line`` task), as the seller API does."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.accounts.views import render_with_error, signed_in_user
from core.commerce import selectors as commerce_selectors
from core.commerce.models import LineStatus, OrderStatus, RefundLine, SubOrder
from core.commerce.purchases import received_by_line
from core.commerce.services.escrow import held_in_escrow
from core.commerce.services.refunds import REFUNDABLE, refund_order
from core.commerce.tasks import fulfil_order_line
from core.errors import DomainError
from core.money import Money
from core.registry import get_registry
from core.sellers.auth import authorised_seller
from core.sellers.models import Seller
from core.sellers.permissions import held_permissions
from core.studio.guards import section_named, studio_page
from core.studio.sales import order_queue
from core.studio.sales.forms import ConfirmForm, OrderFilterForm, RefundForm

ORDERS_PER_PAGE = 25
QUIET_NOTE_STATUSES = {OrderStatus.PAID, OrderStatus.FULFILLING}
DETAIL = "studio/orders_detail.html"


def _money(amount: int, currency: str) -> str:
    return str(Money(amount, currency))


def _status_label(value: str) -> str:
    return OrderStatus(value).label if value in OrderStatus.values else value


@never_cache
@studio_page("studio:orders")
@require_safe
def order_list(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    filters = OrderFilterForm(request.GET or None)
    view = filters.queue()
    data = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    rows = order_queue.queue(
        seller, view=view, status=data.get("status") or "", search=data.get("q") or ""
    )
    page = Paginator(rows, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    counts = order_queue.queue_counts(seller)
    kept = {key: value for key, value in (data or {}).items() if value and key != "view"}
    context = {
        "seller": seller,
        "filters": filters,
        "view": view,
        "tabs": [
            {
                "label": label,
                "count": counts.of(queue),
                "href": "?" + urlencode({**kept, "view": queue.value}),
                "is_current": queue == view,
            }
            for queue, label in order_queue.QUEUE_LABELS.items()
        ],
        "query": urlencode({**kept, "view": view.value}),
        "page": page,
        "rows": [
            {
                "sub_order": sub,
                "buyer": sub.order.billing_name or sub.order.buyer.full_name,
                "email": sub.order.buyer.email,
                "status": _status_label(sub.status),
                "next_step": order_queue.next_step(
                    sub, is_held_in_escrow=bool(getattr(sub, "is_held_in_escrow", False))
                ),
                "total": _money(sub.total, sub.order.currency),
                "seller_net": _money(sub.seller_net, sub.order.currency),
            }
            for sub in page.object_list
        ],
    }
    return render(request, "studio/orders.html", context)


def _sub_order(seller: Seller, sub_order_id: int) -> SubOrder:
    sub = commerce_selectors.seller_sub_order(seller, sub_order_id)
    if sub is None:  # another seller's order does not exist for this one
        raise Http404("No such order")
    return sub


def _detail_context(request: HttpRequest, seller: Seller, sub: SubOrder) -> dict[str, Any]:
    order = sub.order
    currency = order.currency
    lines = list(sub.lines.all())
    received = received_by_line(lines)
    registry = get_registry()
    refunds = (
        RefundLine.objects.filter(order_line__sub_order=sub)
        .select_related("refund", "order_line")
        .order_by("id")
    )
    user = signed_in_user(request)
    can_open_customers = section_named("studio:customers").is_open_to(
        held_permissions(user, seller), is_owner=seller.owner_id == user.pk
    )
    return {
        "seller": seller,
        "sub_order": sub,
        "order": order,
        "status": _status_label(sub.status),
        "next_step": order_queue.next_step(
            sub,
            is_held_in_escrow=any(
                line.is_escrow and line.status == LineStatus.FULFILLED for line in lines
            ),
        ),
        "buyer_name": order.billing_name or order.buyer.full_name,
        "customer_url": reverse("studio:customer", args=[order.buyer_id])
        if can_open_customers
        else "",
        "lines": [
            {
                "line": line,
                "type": registry.product_type_label(line.product_type),
                "unit_price": _money(line.unit_amount, currency),
                "discount": _money(line.discount_amount, currency) if line.discount_amount else "",
                "tax": _money(line.tax_amount, currency),
                "total": _money(line.total, currency),
                "refunded": _money(line.refunded_amount, currency) if line.refunded_amount else "",
                "status": LineStatus(line.status).label,
                "received": received.get(line.pk, []),
                "escrow_held": _money(held_in_escrow(line, currency), currency)
                if line.is_escrow and line.status == LineStatus.FULFILLED
                else "",
            }
            for line in lines
        ],
        "stuck_lines": [line for line in lines if line.status == LineStatus.FULFILLING],
        "totals": {
            "subtotal": _money(sub.subtotal, currency),
            "discount": _money(sub.discount_total, currency) if sub.discount_total else "",
            "tax": _money(sub.tax_total, currency),
            "total": _money(sub.total, currency),
            "commission": _money(sub.commission_total, currency),
            "seller_net": _money(sub.seller_net, currency),
        },
        "refunds": [
            {
                "at": part.refund.created_at,
                "line": part.order_line.title,
                "amount": _money(part.amount, currency),
                "yours": _money(part.seller_amount, currency),
                "reason": part.refund.reason,
            }
            for part in refunds
        ],
        "history": [
            {
                "at": step.created_at,
                "from": _status_label(step.from_status),
                "to": _status_label(step.to_status),
                "by": step.actor_label.split(":", 1)[0].capitalize(),
                # Payment steps carry the provider's charge id: nothing for people to read.
                "note": "" if step.to_status in QUIET_NOTE_STATUSES else step.note,
            }
            for step in sub.transitions.all()
        ],
        # Unpaid or cancelled orders have nothing to give back.
        "is_refundable": order.status in REFUNDABLE,
        "refund_form": RefundForm(lines=lines, currency=currency),
        "fulfil_form": ConfirmForm(),
    }


@never_cache
@studio_page("studio:orders")
@require_safe
def order_detail(request: HttpRequest, sub_order_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    sub = _sub_order(seller, sub_order_id)
    return render(request, DETAIL, _detail_context(request, seller, sub))


@never_cache
@studio_page("studio:orders")
@require_http_methods(["POST"])
def refund(request: HttpRequest, sub_order_id: int) -> HttpResponse:
    """Refund some of the seller's lines. The form's key makes a double submit one refund."""
    seller = authorised_seller(request)
    sub = _sub_order(seller, sub_order_id)
    lines = list(sub.lines.all())
    form = RefundForm(request.POST, lines=lines, currency=sub.order.currency)
    context = _detail_context(request, seller, sub)
    if not form.is_valid():
        context["refund_form"] = form
        return render(request, DETAIL, context, status=200)
    try:
        made = refund_order(
            order_id=sub.order_id,
            lines=form.cleaned_data["refunds"],
            reason=form.cleaned_data["reason"],
            idempotency_key=f"studio:{form.cleaned_data['idempotency_key']}",
            actor=signed_in_user(request),
            actor_label="seller",
            seller_id=seller.pk,
        )
    except DomainError as error:
        context["refund_form"] = form
        return render_with_error(request, DETAIL, context, form=form, error=error)
    messages.success(request, f"Refunded {Money(made.amount, made.currency)}.")
    return HttpResponseRedirect(reverse("studio:order", args=[sub.pk]))


@never_cache
@studio_page("studio:orders")
@require_POST
def restart_fulfilment(request: HttpRequest, sub_order_id: int) -> HttpResponse:
    """Hand the seller's lines still being fulfilled to their module again (the task is safe
    to run twice: a delivered line is skipped)."""
    seller = authorised_seller(request)
    sub = _sub_order(seller, sub_order_id)
    stuck = [line.pk for line in sub.lines.all() if line.status == LineStatus.FULFILLING]
    for line_id in stuck:
        fulfil_order_line.delay(line_id)
    if stuck:
        messages.success(request, f"Delivery restarted for {len(stuck)} item(s).")
    else:
        messages.info(request, "Everything in this order is already delivered.")
    return HttpResponseRedirect(reverse("studio:order", args=[sub.pk]))
