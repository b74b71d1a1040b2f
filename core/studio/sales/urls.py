"""The studio's sales pages: orders, customers, payouts and reviews."""

from django.urls import URLPattern, URLResolver, path

from core.studio.sales import customers, orders

urlpatterns: list[URLPattern | URLResolver] = [
    path("orders/", orders.order_list, name="orders"),
    path("orders/<int:sub_order_id>/", orders.order_detail, name="order"),
    path("orders/<int:sub_order_id>/refund/", orders.refund, name="order_refund"),
    path("orders/<int:sub_order_id>/fulfil/", orders.restart_fulfilment, name="order_fulfil"),
    path("customers/", customers.customer_list, name="customers"),
    path("customers/export.csv", customers.customer_export, name="customers_export"),
    path("customers/<int:buyer_id>/", customers.customer_detail, name="customer"),
]
