"""Learner API: video (mounted into ``api.router``). A lesson's playback: where its master
playlist and poster are, and how long it is; the playlist itself goes through the same access
check (``video_pages``), so this answer is a convenience, not a key."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema

from core.accounts.auth import user_auth
from core.accounts.principal import principal_of
from modules.courses.errors import not_found
from modules.courses.models import Lesson
from modules.courses.services.access import can_open
from modules.courses.services.video import current_video

router = Router(tags=["courses"])


class RenditionOut(Schema):
    height: int
    width: int
    bandwidth: int


class PlaybackOut(Schema):
    lesson_id: int
    video_key: str
    master_url: str
    poster_url: str
    duration_seconds: float
    renditions: list[RenditionOut]


@router.get(
    "/lessons/{lesson_id}/playback",
    response=PlaybackOut,
    auth=user_auth,
    summary="A lesson's video: its HLS master playlist, poster and length",
)
def playback(request: HttpRequest, lesson_id: int) -> PlaybackOut:
    user_id = principal_of(request).user.pk
    lesson = Lesson.objects.filter(pk=lesson_id).first()
    if lesson is None or not can_open(user_id=user_id, lesson=lesson):
        raise not_found("No such lesson.")
    video = current_video(lesson_id=lesson.pk)
    if video is None:
        raise not_found("This lesson has no video yet.")
    return PlaybackOut(
        lesson_id=lesson.pk,
        video_key=video.key,
        master_url=reverse("courses:video_master", args=[video.key]),
        poster_url=reverse("courses:video_poster", args=[video.key]),
        duration_seconds=video.duration_seconds or 0.0,
        renditions=[
            RenditionOut(
                height=int(item["height"]),
                width=int(item.get("width") or 0),
                bandwidth=int(item["bandwidth"]),
            )
            for item in video.renditions
        ],
    )
