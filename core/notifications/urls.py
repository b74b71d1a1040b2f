from django.urls import URLPattern, include, path

from core.notifications import views

_pages = (
    [
        path("", views.centre, name="centre"),
        path("read-all/", views.read_all, name="read_all"),
        path("<int:notification_id>/open/", views.open_notification, name="open"),
        path("preferences/", views.preferences_page, name="preferences"),
    ],
    "notifications",
)

urlpatterns: list[URLPattern] = [  # storefront pages (buyer side)
    path("notifications/", include(_pages)),  # type: ignore[list-item]
    path("sw.js", views.service_worker, name="notifications-service-worker"),
]
studio_urlpatterns: list[URLPattern] = []  # seller studio, namespace "studio"
operator_urlpatterns: list[URLPattern] = [  # operator back-office, namespace "operator"
    path("notifications/", views.operator_settings, name="notifications"),
]
