"""The operator page of the marketplace's deadlines (``/operator/deadlines/``): what is due,
what fired, what failed and why, for support. Reads the same rows as the operator API."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from ninja.errors import HttpError

from core.accounts.views import operator_page
from core.deadlines.forms import DeadlineFilterForm
from core.deadlines.selectors import SUPPORT_ORDERING, deadlines_for_support
from core.pagination import keyset_page

DEADLINES_PER_PAGE = 50


@require_safe
@operator_page
def operator_deadlines(request: HttpRequest) -> HttpResponse:
    filter_form = DeadlineFilterForm(request.GET)
    status, key_prefix = "", ""
    if filter_form.is_valid():
        status = filter_form.cleaned_data["status"]
        key_prefix = filter_form.cleaned_data["key_prefix"].strip()
    deadlines = deadlines_for_support(status=status or None, key_prefix=key_prefix or None)
    try:
        rows, next_cursor = keyset_page(
            deadlines,
            ordering=SUPPORT_ORDERING,
            limit=DEADLINES_PER_PAGE,
            cursor=request.GET.get("cursor") or None,
        )
    except HttpError:  # a cursor we did not make: show the first page
        rows, next_cursor = keyset_page(
            deadlines, ordering=SUPPORT_ORDERING, limit=DEADLINES_PER_PAGE, cursor=None
        )
    filters = {"status": status, "key_prefix": key_prefix}
    next_query = urlencode({**filters, "cursor": next_cursor}) if next_cursor else ""
    return render(
        request,
        "operator/deadlines.html",
        {
            "filter_form": filter_form,
            "deadlines": rows,
            "next_query": next_query,
            "is_filtered": bool(status or key_prefix),
            "is_paged": bool(request.GET.get("cursor")),
            "first_query": urlencode(filters),
        },
    )
