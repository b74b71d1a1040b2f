from django.urls import URLPattern, URLResolver, path

from tenants.backoffice.money import paypal, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("commission/", views.commission, name="commission"),
    path("taxes/", views.taxes, name="taxes"),
    path("discounts/", views.discounts, name="discounts"),
    path("payouts/", views.payouts, name="payouts"),
    path("paypal/", paypal.paypal_page, name="paypal"),
    path("ledger/", views.ledger, name="ledger"),
    path("reports/", views.report_page, name="reports"),
]
