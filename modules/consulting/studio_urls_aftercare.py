"""Studio-side no-shows and book-again offers."""
# Owned by H3b this session; included by the area's urls.py.

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
