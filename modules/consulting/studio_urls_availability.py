"""Studio: availability editor, profile and session types."""
# Owned by H5a this session; included by the area's urls.py.

from django.urls import URLPattern, path

from modules.consulting import studio_availability_pages as pages

urlpatterns: list[URLPattern] = [
    path("availability/", pages.availability_page, name="availability"),
    path("availability/profile/", pages.save_profile, name="availability_profile"),
    path("availability/weekly/", pages.save_weekly, name="availability_weekly"),
    path("availability/overrides/", pages.add_override, name="availability_override"),
    path(
        "availability/overrides/<str:day>/remove/",
        pages.remove_override,
        name="availability_override_remove",
    ),
    path("availability/preview/", pages.preview, name="availability_preview"),
    path("session-types/", pages.session_types, name="session_types"),
    path("session-types/<int:product_id>/", pages.save_session_type, name="session_type"),
]
