"""Seller API: video (mounted into ``api_seller.router``, behind the manifest's
permissions): upload a lesson's video (multipart), follow its processing, retry a failed
one. Another seller's lesson or video answers 404 like one that does not exist."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from core.sellers.auth import authorised_seller
from modules.courses.models import Video
from modules.courses.services import video as videos

router = Router(tags=["courses"])


class RenditionOut(Schema):
    height: int
    width: int
    bandwidth: int


class VideoOut(Schema):
    id: int
    lesson_id: int
    key: str
    original_name: str
    size: int
    status: str
    progress: int
    attempts: int
    error: str
    is_current: bool
    duration_seconds: float | None
    width: int | None
    height: int | None
    renditions: list[RenditionOut]
    created_at: datetime
    ready_at: datetime | None


def video_out(video: Video) -> VideoOut:
    return VideoOut(
        id=video.pk,
        lesson_id=video.lesson_id,
        key=video.key,
        original_name=video.original_name,
        size=video.size,
        status=video.status,
        progress=video.progress,
        attempts=video.attempts,
        error=video.error,
        is_current=video.is_current,
        duration_seconds=video.duration_seconds,
        width=video.width,
        height=video.height,
        renditions=[
            RenditionOut(
                height=int(item["height"]),
                width=int(item.get("width") or 0),
                bandwidth=int(item["bandwidth"]),
            )
            for item in video.renditions
        ],
        created_at=video.created_at,
        ready_at=video.ready_at,
    )


@router.post(
    "/lessons/{lesson_id}/videos",
    response={201: VideoOut},
    summary="Upload a lesson's video (processed in the background; the current one plays "
    "until it is ready)",
)
def upload(request: HttpRequest, lesson_id: int, file: File[UploadedFile]) -> Status[Any]:
    video = videos.upload_video(
        seller_id=authorised_seller(request).pk,
        lesson_id=lesson_id,
        name=file.name or "upload",
        stream=file,
        size=file.size or 0,
    )
    return Status(201, video_out(video))


@router.get(
    "/lessons/{lesson_id}/videos",
    response=list[VideoOut],
    summary="A lesson's videos with their processing status and progress, newest first",
)
def lesson_videos(request: HttpRequest, lesson_id: int) -> list[VideoOut]:
    found = videos.lesson_videos(seller_id=authorised_seller(request).pk, lesson_id=lesson_id)
    return [video_out(video) for video in found]


@router.post("/videos/{video_id}/retry", response=VideoOut, summary="Process a failed video again")
def retry(request: HttpRequest, video_id: int) -> VideoOut:
    video = videos.retry_video(seller_id=authorised_seller(request).pk, video_id=video_id)
    return video_out(video)
