"""Storefront pages: certificates, lesson Q&A and announcements (included by ``urls.py``,
namespace ``courses``)."""

from django.urls import URLPattern, path

from modules.courses import certificate_pages

urlpatterns: list[URLPattern] = [
    path("certificates/", certificate_pages.mine, name="certificates"),
    path(
        "certificates/<int:certificate_id>/download/",
        certificate_pages.download,
        name="certificate_download",
    ),
    path(
        "lessons/<int:lesson_id>/questions/",
        certificate_pages.lesson_questions,
        name="lesson_questions",
    ),
    path("lessons/<int:lesson_id>/questions/ask/", certificate_pages.ask, name="lesson_ask"),
    path("questions/<int:question_id>/reply/", certificate_pages.reply, name="lesson_reply"),
    path(
        "announcements/<int:course_id>/",
        certificate_pages.announcements,
        name="announcements",
    ),
]
