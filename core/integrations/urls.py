"""The seller's integration pages, mounted in the studio (``core.studio.shop.urls``:
``/studio/integration/``, names ``studio:integration...``), and the redirects a module keeps
at its old mount (``retired_urlpatterns``: the licensing module's ``/licenses/integration/``)."""

from django.urls import URLPattern, path, re_path

from core.integrations import views

seller_urlpatterns: list[URLPattern] = [
    path("integration/", views.integration_dashboard, name="integration"),
    path("integration/keys/", views.create_key, name="integration_create_key"),
    path("integration/keys/<int:key_id>/rotate/", views.rotate_key, name="integration_rotate_key"),
    path("integration/keys/<int:key_id>/revoke/", views.revoke_key, name="integration_revoke_key"),
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

retired_urlpatterns: list[URLPattern] = [
    path("integration/", views.moved_to_studio, name="integration"),
    re_path(r"^integration/(?P<rest>.+)$", views.moved_to_studio),
]
