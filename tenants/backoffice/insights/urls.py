from django.urls import URLPattern, URLResolver, path

from tenants.backoffice.insights import reviews, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    path("reviews/", reviews.review_queue, name="reviews"),
    path("reviews/<int:review_id>/", reviews.review_detail, name="review"),
    path("reviews/<int:review_id>/restore/", reviews.restore_review, name="restore_review"),
    path(
        "reviews/<int:review_id>/dismiss/", reviews.dismiss_reports, name="dismiss_review_reports"
    ),
]
