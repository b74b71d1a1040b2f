"""The licensing module's storefront pages, mounted at ``/licenses/``, and the
old address of the seller's integration page, ``/licenses/integration/...``, which redirects
to the studio's (``/studio/integration/``, core/integrations)."""

from django.urls import URLPattern, path

from core.integrations.urls import retired_urlpatterns as moved_integration_urlpatterns
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
urlpatterns += moved_integration_urlpatterns
