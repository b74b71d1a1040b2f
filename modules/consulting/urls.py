"""Storefront and buyer account pages, mounted at ``/consulting/``."""

from django.urls import include, path

app_name = "consulting"
urlpatterns = [
    path("", include("modules.consulting.urls_buyer")),
    path("", include("modules.consulting.urls_video")),
    path("", include("modules.consulting.urls_session")),
    path("", include("modules.consulting.urls_feed")),
    path("", include("modules.consulting.urls_aftercare")),
]
