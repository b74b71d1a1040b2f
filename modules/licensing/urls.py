"""The licensing module's storefront pages, mounted at ``/licenses/``."""

from django.urls import URLPattern, path

from modules.licensing import views
from modules.licensing.urls_integration import urlpatterns as integration_urlpatterns

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
