"""The join page of a booking's video session."""
# Owned by H2 this session; included by the area's urls.py.

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
