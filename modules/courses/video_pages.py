"""Playback of a lesson's video: the master playlist, each rendition's playlist and
segments, the segments' AES-128 key and the poster. Every one asks the same question
(``services.video.playable_video``: a ready video whose lesson the user may open) and answers
404 otherwise, so a stranger, a refunded buyer and another marketplace's player learn
nothing. Local storage streams the file; object storage redirects segments to a presigned
URL (playlists and the key always come from here)."""

from __future__ import annotations

import re

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.views.decorators.http import require_safe

from core.storage import TenantPrivateS3Storage
from modules.courses.models import Video
from modules.courses.processing.transcode import KEY_FILE, MASTER, POSTER
from modules.courses.services.video import output_name, playable_video, rendition_names

SEGMENT = re.compile(r"^seg_\d{4,6}\.ts$")
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
# Playlists and the key are asked for again by each player; segments may sit in the
# browser's own cache (never a shared one) while the lesson plays.
NO_STORE = "private, no-store"
PRIVATE_SEGMENT = "private, max-age=3600"


def _video(request: HttpRequest, key: str) -> Video:
    user_id = request.user.pk if request.user.is_authenticated else None
    video = playable_video(key=key, user_id=user_id)
    if video is None:
        raise Http404("No such video.")
    return video


def _stream(name: str, content_type: str, cache: str) -> HttpResponseBase:
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404("No such file.") from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = cache
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def master(request: HttpRequest, key: str) -> HttpResponseBase:
    video = _video(request, key)
    return _stream(output_name(video, MASTER), PLAYLIST_TYPE, NO_STORE)


@require_safe
def rendition(request: HttpRequest, key: str, rendition: str) -> HttpResponseBase:
    video = _video(request, key)
    if rendition not in rendition_names(video):
        raise Http404("No such rendition.")
    return _stream(output_name(video, f"{rendition}/index.m3u8"), PLAYLIST_TYPE, NO_STORE)


@require_safe
def segment(request: HttpRequest, key: str, rendition: str, segment: str) -> HttpResponseBase:
    video = _video(request, key)
    if rendition not in rendition_names(video) or not SEGMENT.match(segment):
        raise Http404("No such segment.")
    name = output_name(video, f"{rendition}/{segment}")
    if isinstance(default_storage, TenantPrivateS3Storage):
        if not default_storage.exists(name):
            raise Http404("No such segment.")
        response = HttpResponseRedirect(default_storage.url(name))
        response["Cache-Control"] = NO_STORE
        return response
    return _stream(name, "video/mp2t", PRIVATE_SEGMENT)


@require_safe
def key(request: HttpRequest, key: str) -> HttpResponseBase:
    video = _video(request, key)
    return _stream(output_name(video, KEY_FILE), "application/octet-stream", NO_STORE)


@require_safe
def poster(request: HttpRequest, key: str) -> HttpResponseBase:
    video = _video(request, key)
    return _stream(output_name(video, POSTER), "image/jpeg", "private, max-age=3600")
