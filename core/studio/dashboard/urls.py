from django.urls import URLPattern, URLResolver, path

from core.studio.dashboard import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    path("analytics/", views.analytics_page, name="analytics"),
    path("analytics/export.csv", views.analytics_export, name="analytics_export"),
]
