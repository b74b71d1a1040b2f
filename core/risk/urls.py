from django.urls import URLPattern, URLResolver, path

from core.risk import views

# Mounted in the operator back-office (namespace ``operator``) by tenants/backoffice/urls.py.
urlpatterns: list[URLPattern | URLResolver] = [
    path("risk/", views.review_queue, name="risk_review"),
    path("risk/settings/", views.risk_settings, name="risk_settings"),
]
