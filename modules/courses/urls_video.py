"""Storefront pages: video (included by ``urls.py``, namespace ``courses``)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
