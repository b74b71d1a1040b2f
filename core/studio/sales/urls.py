"""The studio's sales pages: orders, customers, payouts and reviews."""

from django.urls import URLPattern, URLResolver, path

from core.studio.sales import customers, orders, payouts, reviews

urlpatterns: list[URLPattern | URLResolver] = [
    path("orders/", orders.order_list, name="orders"),
    path("orders/<int:sub_order_id>/", orders.order_detail, name="order"),
    path("orders/<int:sub_order_id>/refund/", orders.refund, name="order_refund"),
    path("orders/<int:sub_order_id>/fulfil/", orders.restart_fulfilment, name="order_fulfil"),
    path("customers/", customers.customer_list, name="customers"),
    path("customers/export.csv", customers.customer_export, name="customers_export"),
    path("customers/<int:buyer_id>/", customers.customer_detail, name="customer"),
    path("payouts/", payouts.payouts_page, name="payouts"),
    path("payouts/pay-out/", payouts.pay_out, name="payouts_request"),
    path("payouts/schedule/", payouts.change_schedule, name="payouts_schedule"),
    path("payouts/connect/", payouts.connect, name="payouts_connect"),
    path("payouts/disconnect/", payouts.disconnect, name="payouts_disconnect"),
    path("payouts/paypal/", payouts.choose_paypal, name="payouts_paypal"),
    path("reviews/", reviews.review_list, name="reviews"),
    path("reviews/<int:review_id>/reply/", reviews.reply, name="review_reply"),
    path("reviews/<int:review_id>/reply/delete/", reviews.delete_reply, name="review_reply_delete"),
]
