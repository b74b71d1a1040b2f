"""Seller studio: the seller's courses."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.sellers.auth import authorised_seller
from modules.courses.models import Course


@never_cache
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    courses = Course.objects.filter(product__seller_id=seller.pk).select_related("product")
    return render(request, "courses/studio/home.html", {"courses": courses})
