"""Seller studio pages: the course builder (included by ``seller_urls.py``, namespace
``courses_studio``)."""

from django.urls import path

from modules.courses import studio_builder_pages as pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("<int:product_id>/", pages.builder_page, name="builder"),
    path("<int:product_id>/details/", pages.save_details, name="details"),
    path("c/<int:course_id>/sections/", pages.add_section, name="add_section"),
    path("c/<int:course_id>/order/", pages.reorder, name="order"),
    path("sections/<int:section_id>/", pages.rename_section, name="rename_section"),
    path("sections/<int:section_id>/remove/", pages.remove_section, name="remove_section"),
    path("sections/<int:section_id>/step/", pages.step_section, name="step_section"),
    path("sections/<int:section_id>/lessons/", pages.add_lesson, name="add_lesson"),
    path("lessons/<int:lesson_id>/", pages.lesson_edit, name="lesson_edit"),
    path("lessons/<int:lesson_id>/step/", pages.step_lesson, name="step_lesson"),
    path("lessons/<int:lesson_id>/remove/", pages.remove_lesson, name="remove_lesson"),
    path("lessons/<int:lesson_id>/resources/", pages.add_resource, name="add_resource"),
    path("resources/<int:resource_id>/remove/", pages.remove_resource, name="remove_resource"),
]
