"""Seller studio pages, mounted at ``/studio/digital/`` behind the manifest's permissions."""

from django.urls import URLPattern, path  # noqa: F401

app_name = "digital_studio"
urlpatterns: list[URLPattern] = []
