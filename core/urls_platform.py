"""URLs of the platform host (the public schema)."""

from django.urls import path

from api.platform import api as platform_api
from tenants.admin import console
from tenants.views import open_marketplace_page

urlpatterns = [
    path("", open_marketplace_page, name="open-marketplace"),
    path("console/", console.urls),
    path("api/platform/v1/", platform_api.urls),
]

handler404 = "core.error_views.not_found"
handler500 = "core.error_views.server_error"
handler400 = "core.error_views.bad_request"
handler403 = "core.error_views.forbidden"
