"""Beta's storefront page: the widgets on sale here (its nav entry in the manifest)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from core.catalog.models import Product, ProductStatus


def widgets(request: HttpRequest) -> HttpResponse:
    on_sale = Product.objects.filter(product_type="widget", status=ProductStatus.PUBLISHED)
    return render(request, "beta/widgets.html", {"widgets": on_sale.order_by("name")})


urlpatterns = [path("", widgets, name="beta-widgets")]
