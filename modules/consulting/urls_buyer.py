"""Buyer pages: the booking calendar's week of slots and hold, the buyer's bookings and one
booking (reschedule, cancel, finish paying). Included by the area's urls.py."""

from django.urls import URLPattern, path

from modules.consulting import buyer_pages

urlpatterns: list[URLPattern] = [
    path("mine/", buyer_pages.mine, name="mine"),
    path("types/<int:session_type_id>/slots/", buyer_pages.slot_week, name="slot_week"),
    path("types/<int:session_type_id>/hold/", buyer_pages.hold, name="hold"),
    path("bookings/<int:booking_id>/", buyer_pages.booking_page, name="booking"),
    path(
        "bookings/<int:booking_id>/slots/",
        buyer_pages.reschedule_week,
        name="reschedule_week",
    ),
    path(
        "bookings/<int:booking_id>/reschedule/",
        buyer_pages.reschedule_booking,
        name="reschedule",
    ),
    path("bookings/<int:booking_id>/cancel/", buyer_pages.cancel_booking, name="cancel"),
    path("bookings/<int:booking_id>/pay/", buyer_pages.finish_paying, name="finish_paying"),
]
