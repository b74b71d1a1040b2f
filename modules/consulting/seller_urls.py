"""Seller studio pages, mounted at ``/seller/consulting/``
behind the manifest's permissions."""

from django.urls import include, path

from modules.consulting import pages

app_name = "consulting_studio"
urlpatterns = [
    path("", pages.studio_home, name="home"),
    path("", include("modules.consulting.studio_urls_availability")),
    path("", include("modules.consulting.studio_urls_calendar")),
    path("", include("modules.consulting.studio_urls_session")),
    path("", include("modules.consulting.studio_urls_aftercare")),
]
