"""The licensing module's storefront pages, mounted at ``/licenses/``."""

from django.urls import URLPattern

app_name = "licensing"
urlpatterns: list[URLPattern] = []
