from django.urls import URLPattern

urlpatterns: list[URLPattern] = []  # storefront pages (buyer side)
studio_urlpatterns: list[URLPattern] = []  # seller studio, namespace "studio"
operator_urlpatterns: list[URLPattern] = []  # operator back-office, namespace "operator"
