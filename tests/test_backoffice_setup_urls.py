"""A URL conf for the set-up tests: the tenant URLs plus the public set-up pages (brand
assets, legal pages), which core/urls.py mounts once the lead adds
``path("", include("core.backoffice.setup.public_urls"))``. No tests here."""

from django.urls import include, path

from core.urls import handler400, handler403, handler404, handler500  # noqa: F401
from core.urls import urlpatterns as tenant_urlpatterns

urlpatterns = [path("", include("core.backoffice.setup.public_urls")), *tenant_urlpatterns]
