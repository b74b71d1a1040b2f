"""The seller's gig pages, mounted at ``/studio/gigs/`` behind the manifest's permissions."""

from django.urls import URLPattern, path

from modules.gigs import seller_pages, studio_gig_pages

app_name = "gigs_studio"
urlpatterns: list[URLPattern] = [
    path("", seller_pages.queue, name="queue"),
    path("orders/<int:order_id>/", seller_pages.order, name="order"),
    path("orders/<int:order_id>/deliver/", seller_pages.deliver, name="deliver"),
    path("setup/", studio_gig_pages.gigs, name="gigs"),
    path("setup/<int:product_id>/", studio_gig_pages.gig, name="gig"),
    path(
        "setup/<int:product_id>/<slug:section_key>/",
        studio_gig_pages.save_section,
        name="gig_section",
    ),
]
