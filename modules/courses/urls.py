"""Storefront and learner pages, mounted at ``/courses/``."""

from django.urls import include, path

app_name = "courses"
urlpatterns = [
    path("", include("modules.courses.urls_learn")),
    path("", include("modules.courses.urls_video")),
    path("", include("modules.courses.urls_quiz")),
    path("", include("modules.courses.urls_certificates")),
]
