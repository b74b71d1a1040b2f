"""The seller's gig pages, mounted at ``/studio/gigs/`` behind the manifest's permissions."""

from django.urls import URLPattern, path

from modules.gigs import seller_pages

app_name = "gigs_studio"
urlpatterns: list[URLPattern] = [
    path("", seller_pages.queue, name="queue"),
    path("orders/<int:order_id>/", seller_pages.order, name="order"),
    path("orders/<int:order_id>/deliver/", seller_pages.deliver, name="deliver"),
]
