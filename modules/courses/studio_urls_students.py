"""Seller studio pages: students, announcements, questions and certificates (included by
``seller_urls.py``, namespace ``courses_studio``)."""

from django.urls import URLPattern, path

from modules.courses import studio_students_pages as pages

urlpatterns: list[URLPattern] = [
    path("students/", pages.home, name="students_home"),
    path("students/<int:course_id>/", pages.students, name="students"),
    path("students/<int:course_id>/export.csv", pages.students_csv, name="students_csv"),
    path("students/<int:course_id>/announce/", pages.announce, name="announce"),
    # The students page lists the course's questions too (the link new-question notices use).
    path("students/<int:course_id>/questions/", pages.students, name="questions"),
    path("questions/<int:question_id>/reply/", pages.reply, name="reply"),
    path(
        "certificates/<int:certificate_id>/revoke/",
        pages.revoke_certificate,
        name="revoke_certificate",
    ),
]
