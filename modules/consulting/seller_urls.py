"""Seller studio pages, mounted at ``/seller/consulting/``
behind the manifest's permissions."""

from django.urls import path

from modules.consulting import pages

app_name = "consulting_studio"
urlpatterns = [path("", pages.studio_home, name="home")]
