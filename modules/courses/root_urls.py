"""Public addresses at the marketplace's root: certificate verification."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
