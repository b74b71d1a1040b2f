"""The licensing module's storefront pages, mounted at ``/licenses/``, and the seller's
integration pages (core/integrations) under ``/licenses/integration/``."""

from django.urls import URLPattern, path

from core.integrations.urls import seller_urlpatterns as integration_urlpatterns
from modules.licensing import views

app_name = "licensing"
urlpatterns: list[URLPattern] = [
    path("", views.license_list, name="licenses"),
    path("<int:license_id>/", views.license_detail, name="license"),
    path(
        "<int:license_id>/machines/<int:machine_id>/deactivate/",
        views.deactivate_machine,
        name="deactivate_machine",
    ),
]
urlpatterns += integration_urlpatterns
