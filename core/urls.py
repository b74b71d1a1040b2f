"""URLs of tenant hosts. With ``core/urls_platform.py`` this is the composition root: the one
place the project wires core, tenants, modules and the API together."""

from django.urls import include, path

from api.v1 import api as api_v1
from core.registry import get_registry
from core.storefront import views as storefront

urlpatterns = [
    path("", storefront.home, name="home"),
    path("accounts/", include("core.accounts.urls")),
    path("api/v1/", api_v1.urls),
]
urlpatterns += [
    path(manifest.page_prefix, include(manifest.storefront_urls))
    for manifest in get_registry()
    if manifest.storefront_urls
]

handler404 = "core.error_views.not_found"
handler500 = "core.error_views.server_error"
handler400 = "core.error_views.bad_request"
handler403 = "core.error_views.forbidden"
