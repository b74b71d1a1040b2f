"""Invites (.ics) and the private calendar feed."""
# Owned by H1 this session; included by the area's urls.py.

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
