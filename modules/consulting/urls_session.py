"""Buyer-side documents, shared notes and follow-ups of a booking (signed in; another
buyer's booking is a 404)."""
# Owned by H3a this session; included by the area's urls.py.

from django.contrib.auth.decorators import login_required
from django.urls import URLPattern, path

from modules.consulting import session_pages as views

BUYER = {"role": "buyer"}
B = "bookings/<int:booking_id>"

urlpatterns: list[URLPattern] = [
    path(f"{B}/files/", login_required(views.files), BUYER, name="session_files"),
    path(
        f"{B}/files/<int:file_id>/",
        login_required(views.download),
        BUYER,
        name="session_file",
    ),
    path(
        f"{B}/files/<int:file_id>/remove/",
        login_required(views.remove_file),
        BUYER,
        name="session_file_remove",
    ),
    path(f"{B}/notes/", login_required(views.note_list), BUYER, name="session_notes"),
    path(f"{B}/notes/<int:note_id>/", login_required(views.note_edit), BUYER, name="session_note"),
    path(
        f"{B}/notes/<int:note_id>/delete/",
        login_required(views.note_delete),
        BUYER,
        name="session_note_delete",
    ),
    path(
        f"{B}/follow-ups/", login_required(views.follow_up_list), BUYER, name="session_follow_ups"
    ),
    path(
        f"{B}/follow-ups/<int:follow_up_id>/tick/",
        login_required(views.follow_up_tick),
        BUYER,
        name="session_follow_up_tick",
    ),
    path(
        f"{B}/follow-ups/<int:follow_up_id>/delete/",
        login_required(views.follow_up_delete),
        BUYER,
        name="session_follow_up_delete",
    ),
]
