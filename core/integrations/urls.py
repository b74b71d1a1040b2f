"""The seller's integration pages, mounted by a module inside its own URLs (and namespace):
``urlpatterns += seller_urlpatterns`` puts them under ``<module pages>/integration/`` (the
licensing module's: ``/licenses/integration/``, names ``licensing:integration...``)."""

from django.urls import URLPattern, path

from core.integrations import views

seller_urlpatterns: list[URLPattern] = [
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
