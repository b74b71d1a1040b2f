"""Storefront and buyer account pages, mounted at ``/consulting/``."""

from django.urls import include, path

from modules.consulting import pages

app_name = "consulting"
urlpatterns = [
    path("mine/", pages.mine, name="mine"),
    path("", include("modules.consulting.urls_buyer")),
    path("", include("modules.consulting.urls_video")),
    path("", include("modules.consulting.urls_session")),
    path("", include("modules.consulting.urls_feed")),
]
