from django.urls import path

from core.sellers import views

app_name = "seller"
urlpatterns = [
    path("onboarding/", views.onboarding_page, name="onboarding"),
    path("onboarding/business/", views.business_details, name="business_details"),
    path("onboarding/documents/", views.upload_document, name="upload_document"),
    path(
        "onboarding/documents/<int:document_id>/remove/",
        views.remove_document,
        name="remove_document",
    ),
    path("onboarding/product-types/", views.product_types, name="product_types"),
    path("onboarding/payouts/", views.payout_setup, name="payout_setup"),
    path("onboarding/payouts/paypal/", views.payout_paypal, name="payout_paypal"),
    path("onboarding/submit/", views.submit, name="submit"),
    path("team/join/<str:token>/", views.join_team, name="join_team"),
]

# Mounted under /operator/ (namespace "operator") by core/urls.py, beside the user pages
# (``/operator/`` itself is the back-office dashboard, ``operator:dashboard``).
operator_urlpatterns = [
    path("sellers/", views.review_queue, name="sellers"),
    path("sellers/<int:seller_id>/", views.review_seller, name="seller"),
    path("sellers/<int:seller_id>/approve/", views.approve_seller, name="approve_seller"),
    path("sellers/<int:seller_id>/reject/", views.reject_seller, name="reject_seller"),
]
