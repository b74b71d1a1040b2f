"""Storefront pages, mounted at ``/digital/``."""

from django.urls import path

from modules.digital import views

app_name = "digital"
urlpatterns = [path("files/<str:token>/", views.fetch, name="fetch")]
