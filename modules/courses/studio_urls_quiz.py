"""Seller studio pages: quiz (included by ``seller_urls.py``, namespace ``courses_studio``)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
