"""Buyer pages: the booking page flow, the buyer's bookings and one booking."""
# Owned by H4 this session; included by the area's urls.py.

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
