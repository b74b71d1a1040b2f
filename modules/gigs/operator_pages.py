"""The operator's gig orders page, mounted at ``/operator/gigs/`` for operators past the
second factor (core guards the area, so the view checks nothing itself): counts by state,
the late and very late orders first, and the most recent orders."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.money import Money
from modules.gigs import presenters
from modules.gigs.models import GigOrder, OrderStatus
from modules.gigs.services.orders import WORKING


def _rows(orders: list[GigOrder]) -> list[dict[str, object]]:
    return [
        {
            **presenters.order_row(order),
            "status_label": OrderStatus(order.status).label,
            "price": str(Money(order.amount, order.currency)),
            "seller": order.seller.business_name,
        }
        for order in orders
    ]


@never_cache
@require_http_methods(["GET", "HEAD"])
def gig_orders(request: HttpRequest) -> HttpResponse:
    counts = dict(GigOrder.objects.values_list("status").annotate(count=Count("pk")).order_by())
    now = timezone.now()
    overdue = list(
        GigOrder.objects.filter(status__in=WORKING, due_at__lt=now)
        .select_related("seller")
        .order_by("due_at")[:50]
    )
    recent = list(GigOrder.objects.select_related("seller").order_by("-id")[:50])
    context = {
        "counts": [(label, counts.get(value, 0)) for value, label in OrderStatus.choices],
        "overdue": _rows(overdue),
        "recent": _rows(recent),
    }
    return render(request, "gigs/operator_orders.html", context)
