"""The gigs module's storefront pages, mounted at ``/gigs/``: the buyer's gig orders, and
"Continue" from a gig's package chooser (on the product page) to checkout."""

from django.urls import URLPattern, path

from modules.gigs import storefront, views

app_name = "gigs"
urlpatterns: list[URLPattern] = [
    path("g/<str:slug>/continue/", storefront.continue_to_checkout, name="continue"),
    path("orders/", views.order_list, name="orders"),
    path("orders/<int:order_id>/", views.order_detail, name="order"),
    path(
        "orders/<int:order_id>/requirements/",
        views.submit_requirements,
        name="submit_requirements",
    ),
    path("orders/<int:order_id>/revisions/", views.request_revision, name="request_revision"),
    path("orders/<int:order_id>/accept/", views.accept, name="accept"),
    path(
        "orders/<int:order_id>/milestones/agree/", views.agree_milestones, name="agree_milestones"
    ),
    path("orders/<int:order_id>/cancel/", views.cancel, name="cancel"),
    path(
        "orders/<int:order_id>/extra-revision/",
        views.buy_extra_revision,
        name="buy_extra_revision",
    ),
    path(
        "orders/<int:order_id>/cancellation/",
        views.request_cancellation,
        name="request_cancellation",
    ),
    path(
        "orders/<int:order_id>/cancellation/answer/",
        views.answer_cancellation,
        name="answer_cancellation",
    ),
    path("orders/<int:order_id>/feedback/", views.leave_feedback, name="leave_feedback"),
    path(
        "orders/<int:order_id>/milestones/<int:number>/fund/",
        views.fund_milestone,
        name="fund_milestone",
    ),
    path("orders/<int:order_id>/release/", views.release_part, name="release_part"),
]
