"""The operator's gig pages, mounted at ``/operator/gigs/`` behind the operator area's guard."""

from django.urls import URLPattern, path

from modules.gigs import operator_pages

app_name = "gigs_operator"
urlpatterns: list[URLPattern] = [path("", operator_pages.gig_orders, name="orders")]
