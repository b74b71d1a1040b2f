"""The alpha module's pages in each area of the navigation: a buyer's account page (in its
storefront URLs), a studio page and an operator page (mounted by core behind their guards:
these views check nothing themselves)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.sellers.auth import authorised_seller
from tests.testmodules.alpha.models import AlphaItem


@login_required
def my_items(request: HttpRequest) -> HttpResponse:
    return render(request, "alpha/mine.html", {"count": AlphaItem.objects.count()})


def stock(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    return render(request, "alpha/stock.html", {"seller": seller})


def operator_home(request: HttpRequest) -> HttpResponse:
    return render(request, "alpha/operator.html", {"count": AlphaItem.objects.count()})
