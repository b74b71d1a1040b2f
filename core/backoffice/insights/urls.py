from django.urls import URLPattern, URLResolver, path

from core.backoffice.insights import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
]
