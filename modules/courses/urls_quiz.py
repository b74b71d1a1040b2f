"""Storefront pages: quiz (included by ``urls.py``, namespace ``courses``)."""

from django.urls import URLPattern, path

from modules.courses import quiz_pages

urlpatterns: list[URLPattern] = [
    path("quiz/<int:lesson_id>/", quiz_pages.quiz, name="quiz"),
    path("quiz/<int:lesson_id>/start/", quiz_pages.start, name="quiz_start"),
    path("quiz/attempts/<int:attempt_id>/", quiz_pages.result, name="quiz_result"),
    path("quiz/attempts/<int:attempt_id>/submit/", quiz_pages.submit, name="quiz_submit"),
]
