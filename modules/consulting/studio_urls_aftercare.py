"""Studio-side no-shows and book-again offers (the aftercare section's posts)."""
# Owned by H3b this session; included by the area's urls.py.

from django.urls import URLPattern, path

from modules.consulting import aftercare_pages as views

B = "bookings/<int:booking_id>/aftercare"

urlpatterns: list[URLPattern] = [
    path(f"{B}/no-show/", views.studio_no_show, name="aftercare_no_show"),
    path(f"{B}/no-show/confirm/", views.studio_confirm, name="aftercare_confirm"),
    path(f"{B}/rebook/", views.studio_rebook, name="aftercare_rebook"),
]
