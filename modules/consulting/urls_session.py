"""Buyer-side documents, shared notes and follow-ups of a booking."""
# Owned by H3a this session; included by the area's urls.py.

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
