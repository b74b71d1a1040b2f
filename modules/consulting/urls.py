"""Storefront and buyer account pages, mounted at ``/consulting/``."""

from django.urls import path

from modules.consulting import pages

app_name = "consulting"
urlpatterns = [path("mine/", pages.mine, name="mine")]
