"""Operator pages, mounted at ``/operator/consulting/`` for operators past the second
factor (the area's guard)."""

from django.urls import URLPattern, path

from modules.consulting import operator_pages

app_name = "consulting_operator"
urlpatterns: list[URLPattern] = [
    path("", operator_pages.home, name="home"),
    path("bounds/", operator_pages.save_bounds, name="bounds"),
    path("bookings/<int:booking_id>/", operator_pages.booking, name="booking"),
]
