from django.urls import path

from core.deadlines import views

# Mounted under /operator/ (namespace "operator") by core/urls.py.
operator_urlpatterns = [
    path("deadlines/", views.operator_deadlines, name="deadlines"),
]
