"""Seller studio pages, mounted at ``/studio/consulting/``
behind the manifest's permissions."""

from django.urls import include, path

from modules.consulting import studio_calendar_pages

app_name = "consulting_studio"
urlpatterns = [
    path("", studio_calendar_pages.calendar, name="home"),
    path("", include("modules.consulting.studio_urls_availability")),
    path("", include("modules.consulting.studio_urls_calendar")),
    path("", include("modules.consulting.studio_urls_session")),
    path("", include("modules.consulting.studio_urls_aftercare")),
]
