"""Studio-side documents, notes and follow-ups of a booking (mounted behind the studio's
guard; another consultant's booking is a 404)."""
# Owned by H3a this session; included by the area's urls.py.

from django.urls import URLPattern, path

from modules.consulting import session_pages as views

CONSULTANT = {"role": "consultant"}
B = "bookings/<int:booking_id>"

urlpatterns: list[URLPattern] = [
    path(f"{B}/files/", views.files, CONSULTANT, name="session_files"),
    path(f"{B}/files/<int:file_id>/", views.download, CONSULTANT, name="session_file"),
    path(
        f"{B}/files/<int:file_id>/remove/",
        views.remove_file,
        CONSULTANT,
        name="session_file_remove",
    ),
    path(f"{B}/notes/", views.note_list, CONSULTANT, name="session_notes"),
    path(f"{B}/notes/<int:note_id>/", views.note_edit, CONSULTANT, name="session_note"),
    path(
        f"{B}/notes/<int:note_id>/delete/",
        views.note_delete,
        CONSULTANT,
        name="session_note_delete",
    ),
    path(f"{B}/follow-ups/", views.follow_up_list, CONSULTANT, name="session_follow_ups"),
    path(
        f"{B}/follow-ups/<int:follow_up_id>/tick/",
        views.follow_up_tick,
        CONSULTANT,
        name="session_follow_up_tick",
    ),
    path(
        f"{B}/follow-ups/<int:follow_up_id>/delete/",
        views.follow_up_delete,
        CONSULTANT,
        name="session_follow_up_delete",
    ),
]
