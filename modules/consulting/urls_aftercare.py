"""Buyer-side aftercare post: reporting that the consultant did not come (signed in)."""
# Owned by H3b this session; to be included by urls.py (requests-h3b.md).

from django.urls import URLPattern, path

from modules.consulting import aftercare_pages as views

urlpatterns: list[URLPattern] = [
    path(
        "bookings/<int:booking_id>/aftercare/no-show/",
        views.buyer_no_show,
        name="aftercare_no_show",
    ),
]
