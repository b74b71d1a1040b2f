"""The studio's customers (``/studio/customers/``): everyone who bought from the seller, with
their orders, what they hold by product type, live subscriptions, what they spent (per
currency, refunds taken off), the last order and the team's private note; search by e-mail or
name, and the same list as CSV."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from core import safe_csv
from core.accounts.views import render_with_error, signed_in_user
from core.commerce.models import OrderStatus
from core.errors import DomainError
from core.money import Money
from core.sellers.auth import authorised_seller
from core.sellers.models import Seller
from core.studio.guards import studio_page
from core.studio.sales import selectors
from core.studio.sales.forms import CustomerNoteForm, CustomerSearchForm
from core.studio.sales.services import save_customer_note
from core.subscriptions.models import SubscriptionStatus

CUSTOMERS_PER_PAGE = 25
DETAIL = "studio/customers_detail.html"


@never_cache
@studio_page("studio:customers")
@require_safe
def customer_list(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    form = CustomerSearchForm(request.GET or None)
    search = form.search()
    page = Paginator(selectors.customer_rows(seller, search=search), CUSTOMERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "seller": seller,
        "form": form,
        "search": search,
        "page": page,
        "customers": selectors.customers(seller, selectors.as_rows(page.object_list)),
    }
    return render(request, "studio/customers.html", context)


def _customer_or_404(seller: Seller, buyer_id: int) -> selectors.Customer:
    found = selectors.customer(seller, buyer_id)
    if found is None:  # not a buyer of this seller: nothing to see
        raise Http404("No such customer")
    return found


def _detail_context(seller: Seller, found: selectors.Customer) -> dict[str, Any]:
    buyer_id = found.user.pk
    return {
        "seller": seller,
        "customer": found,
        "orders": [
            {
                "sub_order": sub,
                "status": OrderStatus(sub.status).label,
                "total": Money(sub.total, sub.order.currency),
            }
            for sub in selectors.customer_sub_orders(seller, buyer_id)[:100]
        ],
        "subscriptions": [
            {
                "subscription": subscription,
                "status": SubscriptionStatus(subscription.status).label,
            }
            for subscription in selectors.customer_subscriptions(seller, buyer_id)[:50]
        ],
        "note_form": CustomerNoteForm(initial={"body": found.note.body if found.note else ""}),
    }


@never_cache
@studio_page("studio:customers")
@require_http_methods(["GET", "HEAD", "POST"])
def customer_detail(request: HttpRequest, buyer_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    found = _customer_or_404(seller, buyer_id)
    context = _detail_context(seller, found)
    if request.method != "POST":
        return render(request, DETAIL, context)
    form = CustomerNoteForm(request.POST)
    context["note_form"] = form
    if not form.is_valid():
        return render(request, DETAIL, context)
    try:
        note = save_customer_note(
            seller=seller,
            buyer_id=buyer_id,
            author=signed_in_user(request),
            body=form.cleaned_data["body"],
        )
    except DomainError as error:
        return render_with_error(request, DETAIL, context, form=form, error=error)
    messages.success(request, "Note saved." if note else "Note removed.")
    return HttpResponseRedirect(reverse("studio:customer", args=[buyer_id]))


CSV_HEADER = [
    "email",
    "name",
    "orders",
    "first_order",
    "last_order",
    "currency",
    "lifetime_value",
    "live_subscriptions",
    "note",
]


@never_cache
@studio_page("studio:customers")
@require_safe
def customer_export(request: HttpRequest) -> HttpResponse:
    """Every customer matching the search, one row per customer and currency they paid in;
    amounts as decimal text in the currency's units (exact, never floats)."""
    seller = authorised_seller(request)
    search = CustomerSearchForm(request.GET or None).search()
    out = io.StringIO()
    writer = safe_csv.writer(out)
    writer.writerow(CSV_HEADER)
    rows = selectors.as_rows(selectors.customer_rows(seller, search=search))
    for start in range(0, len(rows), 500):
        for found in selectors.customers(seller, rows[start : start + 500]):
            values: list[Money | None] = [*found.lifetime_value] or [None]
            for money in values:
                writer.writerow(
                    [
                        found.user.email,
                        found.user.full_name,
                        found.order_count,
                        found.first_order_at.date().isoformat(),
                        found.last_order_at.date().isoformat(),
                        money.currency if money else "",
                        money.to_decimal_string() if money else "",
                        found.live_subscriptions,
                        found.note.body if found.note else "",
                    ]
                )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="customers-{seller.slug}.csv"'
    return response
