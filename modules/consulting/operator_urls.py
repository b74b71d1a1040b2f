"""Operator pages, mounted at ``/operator/consulting/``
for operators past the second factor."""

from django.urls import path

from modules.consulting import pages

app_name = "consulting_operator"
urlpatterns = [path("", pages.operator_home, name="home")]
