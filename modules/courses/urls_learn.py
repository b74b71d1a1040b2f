"""Storefront pages: learning (included by ``urls.py``, namespace ``courses``)."""

from django.urls import path

from modules.courses import learn_pages

urlpatterns = [
    path("mine/", learn_pages.mine, name="mine"),
    path("<int:course_id>/learn/<int:lesson_id>/", learn_pages.learn, name="learn"),
    path(
        "<int:course_id>/learn/<int:lesson_id>/complete/",
        learn_pages.complete,
        name="learn_complete",
    ),
    path(
        "<int:course_id>/learn/<int:lesson_id>/reading/",
        learn_pages.reading,
        name="learn_reading",
    ),
    path("<int:course_id>/resources/<str:key>/", learn_pages.resource, name="resource"),
]
