"""Seller studio pages, mounted at ``/studio/courses/`` behind the manifest's permissions."""

from django.urls import include, path

app_name = "courses_studio"
urlpatterns = [
    path("", include("modules.courses.studio_urls_builder")),
    path("", include("modules.courses.studio_urls_video")),
    path("", include("modules.courses.studio_urls_quiz")),
    path("", include("modules.courses.studio_urls_students")),
]
