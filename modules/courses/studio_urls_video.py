"""Seller studio pages: video (included by ``seller_urls.py``, namespace ``courses_studio``)."""

from django.urls import URLPattern, path

from modules.courses import studio_video_pages as pages

urlpatterns: list[URLPattern] = [
    path("lessons/<int:lesson_id>/video/", pages.status, name="video_status"),
    path("lessons/<int:lesson_id>/video/upload/", pages.upload, name="video_upload"),
    path("videos/<int:video_id>/retry/", pages.retry, name="video_retry"),
]
