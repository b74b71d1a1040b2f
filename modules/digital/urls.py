"""Storefront pages, mounted at ``/digital/``."""

from django.urls import path

from modules.digital import pages, storefront, views

app_name = "digital"
urlpatterns = [
    path("files/<str:token>/", views.fetch, name="fetch"),
    path("previews/<str:key>/", storefront.preview, name="preview"),
    path("library/", pages.library_page, name="library"),
    path("library/<int:entitlement_id>/", pages.purchase_page, name="purchase"),
    path(
        "library/<int:entitlement_id>/versions/<int:version_id>/download/",
        pages.download,
        name="download",
    ),
    path("library/<int:entitlement_id>/reset/", pages.reset, name="reset"),
]
