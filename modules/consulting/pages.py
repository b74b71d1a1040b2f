"""The module's pages, one per area of the navigation: the buyer's bookings (in ``urls.py``),
the consultant's calendar and the operator page (mounted by core behind their area's guard,
so these views check nothing themselves)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.sellers.auth import authorised_seller
from modules.consulting import selectors
from modules.consulting.manifest import manifest
from modules.consulting.models import Booking


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    bookings = selectors.bookings_of(request.user)[:50]  # type: ignore[arg-type]
    return render(request, "consulting/mine.html", {"module": manifest, "bookings": bookings})


def studio_home(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    bookings = selectors.calendar_of(seller)[:100]
    zone = getattr(getattr(seller, "consultant_profile", None), "time_zone", "UTC")
    context = {"module": manifest, "seller": seller, "bookings": bookings, "zone": zone}
    return render(request, "consulting/studio.html", context)


def operator_home(request: HttpRequest) -> HttpResponse:
    context = {"module": manifest, "count": Booking.objects.count()}
    return render(request, "consulting/operator.html", context)
