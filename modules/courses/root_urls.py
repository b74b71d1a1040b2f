"""Public addresses at the marketplace's root: certificate verification (behind the module
guard: with courses off, ``/certificates/`` is 404 like any unknown path)."""

from django.urls import URLPattern, path

from modules.courses import certificate_pages

urlpatterns: list[URLPattern] = [
    path("certificates/<str:code>/", certificate_pages.verify, name="course_certificate"),
]
