"""Studio: the consultant's calendar and one booking (included by ``seller_urls.py``)."""

from django.urls import URLPattern, path

from modules.consulting import studio_calendar_pages

urlpatterns: list[URLPattern] = [
    path("calendar/", studio_calendar_pages.calendar, name="calendar"),
    path("bookings/<int:booking_id>/", studio_calendar_pages.booking, name="booking"),
    path("bookings/<int:booking_id>/cancel/", studio_calendar_pages.cancel, name="booking_cancel"),
]
