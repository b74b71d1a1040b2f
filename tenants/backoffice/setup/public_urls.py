"""Public pages of the set-up area, mounted at the root of tenant hosts by ``core/urls.py``:
branding assets and the legal pages the storefront footer links to."""

from django.urls import URLPattern, path

from tenants.backoffice.setup.views import public

urlpatterns: list[URLPattern] = [
    path("brand-assets/<str:name>", public.brand_asset, name="brand_asset"),
    path("legal/<str:kind>/", public.legal_page, name="legal_page"),
]
