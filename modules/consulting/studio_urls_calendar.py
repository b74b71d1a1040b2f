"""Studio: the consultant's calendar and one booking."""
# Owned by H5b this session; included by the area's urls.py.

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
