"""The join page of a booking's video session (included by the area's ``urls.py``)."""

from django.urls import URLPattern, path

from modules.consulting import video_pages

urlpatterns: list[URLPattern] = [
    path("bookings/<int:booking_id>/join/", video_pages.join, name="join"),
]
