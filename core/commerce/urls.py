"""Commerce pages, mounted at the site root by ``core/urls.py``: the cart and checkout, the
buyer's orders under ``account/orders/``. The seller's orders live in the studio
(``/studio/orders/``); the old ``seller/orders/`` addresses redirect there for good."""

from django.urls import path
from django.views.generic import RedirectView

from core.commerce import views

app_name = "commerce"
urlpatterns = [
    path("cart/", views.cart_page, name="cart"),
    path("cart/add/", views.add_to_cart, name="add_to_cart"),
    path("cart/lines/<int:line_id>/", views.change_line, name="change_line"),
    path("cart/lines/<int:line_id>/remove/", views.remove_line, name="remove_line"),
    path("cart/code/", views.apply_code, name="apply_code"),
    path("cart/code/remove/", views.remove_code, name="remove_code"),
    path("cart/currency/", views.change_currency, name="change_currency"),
    path("checkout/", views.checkout, name="checkout"),
    # PayPal sends the buyer back here (core.payments.providers.paypal.RETURN_PATH/CANCEL_PATH).
    path("checkout/paypal/return/", views.paypal_return, name="paypal_return"),
    path("checkout/paypal/cancel/", views.paypal_cancel, name="paypal_cancel"),
    path("account/orders/", views.order_list, name="orders"),
    path("account/orders/<int:order_id>/", views.order_detail, name="order"),
    path("account/orders/<int:order_id>/pay/", views.pay_order_page, name="pay_order"),
    path(
        "account/orders/<int:order_id>/confirm/",
        views.confirm_order_payment,
        name="confirm_payment",
    ),
    path("account/orders/<int:order_id>/cancel/", views.cancel, name="cancel_order"),
    path("account/orders/<int:order_id>/invoice.pdf", views.invoice_pdf, name="invoice"),
    path(
        "seller/orders/",
        RedirectView.as_view(pattern_name="studio:orders", permanent=True, query_string=True),
        name="seller_orders",
    ),
    path(
        "seller/orders/<int:sub_order_id>/",
        RedirectView.as_view(pattern_name="studio:order", permanent=True),
        name="seller_order",
    ),
]
