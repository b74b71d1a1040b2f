"""Studio: availability editor, profile and session types."""
# Owned by H5a this session; included by the area's urls.py.

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
