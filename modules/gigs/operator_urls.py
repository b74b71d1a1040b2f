"""The operator's gig pages, mounted at ``/operator/gigs/`` behind the operator area's guard."""

from django.urls import URLPattern, path

from modules.gigs import operator_pages

app_name = "gigs_operator"
urlpatterns: list[URLPattern] = [
    path("", operator_pages.gig_orders, name="orders"),
    path("orders/<int:order_id>/", operator_pages.order_detail, name="order"),
    path("qc/", operator_pages.qc_queue, name="qc"),
    path("qc/<int:delivery_id>/approve", operator_pages.qc_approve, name="qc_approve"),
    path("qc/<int:delivery_id>/return", operator_pages.qc_return, name="qc_return"),
    path("files/<int:file_id>", operator_pages.delivery_file, name="file"),
]
