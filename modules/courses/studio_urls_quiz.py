"""Seller studio pages: quiz (included by ``seller_urls.py``, namespace ``courses_studio``)."""

from django.urls import URLPattern, path

from modules.courses import studio_quiz_pages as pages

urlpatterns: list[URLPattern] = [
    path("lessons/<int:lesson_id>/quiz/", pages.editor, name="quiz"),
    path("lessons/<int:lesson_id>/quiz/settings/", pages.save_settings, name="quiz_settings"),
    path("lessons/<int:lesson_id>/quiz/questions/", pages.add_question, name="quiz_add_question"),
    path("quiz-questions/<int:question_id>/", pages.edit_question, name="quiz_edit_question"),
    path(
        "quiz-questions/<int:question_id>/remove/",
        pages.remove_question,
        name="quiz_remove_question",
    ),
    path("quiz-questions/<int:question_id>/move/", pages.move_question, name="quiz_move_question"),
]
