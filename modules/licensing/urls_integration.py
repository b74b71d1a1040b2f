"""The seller's integration pages, under ``/licenses/integration/``. Added to the module's
``urls.py`` (namespace ``licensing``) with ``urlpatterns += integration_urlpatterns``."""

from django.urls import URLPattern, path

from modules.licensing import views_integration as views

urlpatterns: list[URLPattern] = [
    path("integration/", views.integration_dashboard, name="integration"),
    path("integration/endpoints/", views.create_endpoint, name="integration_create_endpoint"),
    path(
        "integration/endpoints/<int:endpoint_id>/",
        views.update_endpoint,
        name="integration_update_endpoint",
    ),
    path(
        "integration/endpoints/<int:endpoint_id>/delete/",
        views.delete_endpoint,
        name="integration_delete_endpoint",
    ),
    path(
        "integration/deliveries/<int:delivery_id>/replay/",
        views.replay_delivery,
        name="integration_replay_delivery",
    ),
    path("integration/secret/rotate/", views.rotate_secret, name="integration_rotate_secret"),
    path("integration/calls/<int:call_id>/", views.integration_call, name="integration_call"),
]
