"""Seller studio pages: the course builder (included by ``seller_urls.py``, namespace
``courses_studio``)."""

from django.urls import path

from modules.courses import studio_builder_pages

urlpatterns = [
    path("", studio_builder_pages.home, name="home"),
]
