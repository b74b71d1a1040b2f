"""A video lesson's uploads and their processing. An upload is a new ``Video`` row (checked
by content, size and length against the marketplace's ``CourseSettings``), processed in a
Celery job (``tasks.process_video_task``) into an encrypted HLS ladder in private storage
under the tenant's prefix. Only a finished job publishes: in one transaction the video
becomes the lesson's current one and the lesson's and course's durations follow; a failed or
interrupted job leaves the previous current video playing and says why, for the seller."""

from __future__ import annotations

import logging
import posixpath
import shutil
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import IO

from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core.deadlines.services import schedule_deadline
from core.errors import ErrorKind
from core.notifications.services.notify import notify
from core.schema import current_schema_name
from core.sellers.models import Seller, TeamMember, TeamPermission
from core.uploads import checked_content_type
from modules.courses.errors import CourseError, CourseErrorCode, invalid, not_found, refused
from modules.courses.manifest import CourseSettings, manifest
from modules.courses.models import Lesson, LessonKind, Video, VideoStatus
from modules.courses.processing.transcode import (
    Transcoded,
    TranscodeFailed,
    probe,
    transcode,
)
from modules.courses.services.access import can_open
from modules.courses.services.durations import recompute_course_duration
from tenants.selectors import current_tenant_row

logger = logging.getLogger(__name__)

VIDEO_PROCESSED = "courses.video_processed"
MAX_ATTEMPTS = 4  # the first run and three automatic retries
INTERRUPTED = "Processing was interrupted; it will be tried again in a few minutes."
GAVE_UP = (
    "Processing failed {attempts} times for a reason on our side. Try again, or upload the "
    "file again."
)


class VideoJobInterrupted(Exception):
    """The job failed for a reason that is not the video's (storage, database, a killed
    worker): Celery retries it with backoff."""


def course_settings() -> CourseSettings:
    return manifest.settings_for(current_tenant_row())


def _sellers_lesson(*, seller_id: int, lesson_id: int, lock: bool = False) -> Lesson:
    found = Lesson.objects.filter(pk=lesson_id, course__product__seller_id=seller_id)
    lesson = (found.select_for_update(of=("self",)) if lock else found).first()
    if lesson is None:
        raise not_found("No such lesson.")
    return lesson


def _too_large(message: str) -> CourseError:
    return CourseError(
        CourseErrorCode.INVALID_VIDEO, message, details={"field": "file"}, kind=ErrorKind.TOO_LARGE
    )


def _readable_length(stream: IO[bytes]) -> float | None:
    """The upload's length in seconds when ffprobe can tell (None: the job will say why)."""
    path = getattr(stream, "temporary_file_path", None)
    try:
        if callable(path):
            return probe(Path(path())).duration
        with tempfile.NamedTemporaryFile(prefix="souk-upload-") as local:
            stream.seek(0)
            shutil.copyfileobj(stream, local, 1024 * 1024)
            local.flush()
            return probe(Path(local.name)).duration
    except TranscodeFailed:
        return None
    finally:
        stream.seek(0)


@transaction.atomic
def upload_video(
    *, seller_id: int, lesson_id: int, name: str, stream: IO[bytes], size: int
) -> Video:
    """A new upload for the seller's video lesson, queued for processing once this commits;
    the lesson keeps playing its current video until the new one is ready."""
    lesson = _sellers_lesson(seller_id=seller_id, lesson_id=lesson_id, lock=True)
    if lesson.kind != LessonKind.VIDEO:
        message = "Only a video lesson takes a video."
        raise invalid(CourseErrorCode.INVALID_VIDEO, "lesson", message)
    limits = course_settings()
    label = name[:100] or "upload"
    if size <= 0:
        raise invalid(CourseErrorCode.INVALID_VIDEO, "file", f"{label}: this file is empty.")
    if size > limits.max_video_mb * 1024 * 1024:
        raise _too_large(f"{label}: a lesson video is at most {limits.max_video_mb} MB.")
    content_type = checked_content_type(name, stream, verb="published as a lesson video")
    if not content_type.startswith("video/"):
        raise invalid(CourseErrorCode.INVALID_VIDEO, "file", f"{label}: this is not a video.")
    length = _readable_length(stream)
    if length is not None and length > limits.max_video_minutes * 60:
        raise _too_large(
            f"{label}: a lesson video is at most {limits.max_video_minutes} minutes long."
        )
    video = Video(lesson=lesson, original_name=name[:255] or "upload", size=size)
    video.source.save("source", File(stream), save=False)
    video.save()
    queue_processing(video_id=video.pk)
    return video


@transaction.atomic
def retry_video(*, seller_id: int, video_id: int) -> Video:
    """A failed upload of the seller's processed again from its stored source."""
    video = (
        Video.objects.select_for_update()
        .filter(pk=video_id, lesson__course__product__seller_id=seller_id)
        .first()
    )
    if video is None:
        raise not_found("No such video.")
    if video.status != VideoStatus.FAILED:
        raise refused(CourseErrorCode.INVALID_VIDEO, "Only a failed video can be tried again.")
    video.status, video.progress, video.error = VideoStatus.UPLOADED, 0, ""
    video.save(update_fields=["status", "progress", "error"])
    queue_processing(video_id=video.pk)
    return video


def lesson_videos(*, seller_id: int, lesson_id: int) -> list[Video]:
    """The uploads of the seller's lesson, newest first."""
    lesson = _sellers_lesson(seller_id=seller_id, lesson_id=lesson_id)
    return list(Video.objects.filter(lesson=lesson).order_by("-created_at", "-pk"))


def queue_processing(*, video_id: int) -> None:
    transaction.on_commit(lambda: _run(video_id))


def _run(video_id: int) -> None:
    from modules.courses.tasks import process_video_task

    try:
        process_video_task.delay(video_id)
    except Exception:  # the upload is committed; the seller can retry from the studio
        logger.exception("courses: the processing job of video %s failed", video_id)


# --- the job -------------------------------------------------------------------------------


def hls_prefix_of(video: Video) -> str:
    return f"{current_schema_name()}/courses/videos/{video.key}/hls"


def process_video(*, video_id: int, final_attempt: bool = True) -> str:
    """The job's work: the video transcoded, stored and published; returns its status. A
    video that is gone or already ready is left alone (a duplicate delivery)."""
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(pk=video_id).first()
        if video is None or video.status == VideoStatus.READY:
            return video.status if video else "gone"
        video.status, video.progress, video.error = VideoStatus.PROCESSING, 0, ""
        video.attempts += 1
        video.save(update_fields=["status", "progress", "error", "attempts"])
    storage, prefix = video.source.storage, hls_prefix_of(video)
    try:
        with tempfile.TemporaryDirectory(prefix="souk-video-") as scratch:
            source = Path(scratch) / "source"
            with video.source.open("rb") as stored, source.open("wb") as local:
                shutil.copyfileobj(stored, local, 1024 * 1024)
            limit = course_settings().max_video_minutes
            if probe(source).duration > limit * 60:
                raise TranscodeFailed(f"This video is longer than {limit} minutes.")
            result = transcode(source, Path(scratch) / "hls", on_progress=_saver(video_id))
            store_output(storage, result.folder, prefix)
        published = publish_transcoded(video_id=video_id, transcoded=result, hls_prefix=prefix)
    except TranscodeFailed as error:
        _discard(storage, prefix)
        _fail(video_id, str(error))
        _tell_seller(video_id)
        return VideoStatus.FAILED
    except Exception as error:
        logger.exception("courses: processing video %s failed", video_id)
        _discard(storage, prefix)
        if final_attempt:
            _fail(video_id, GAVE_UP.format(attempts=video.attempts))
            _tell_seller(video_id)
            return VideoStatus.FAILED
        _fail(video_id, INTERRUPTED)
        raise VideoJobInterrupted(str(error)) from error
    if published is None:  # the lesson went while we worked
        _discard(storage, prefix)
        return "gone"
    _tell_seller(video_id)
    return VideoStatus.READY


def _saver(video_id: int) -> Callable[[int], None]:
    def save(percent: int) -> None:
        Video.objects.filter(pk=video_id, status=VideoStatus.PROCESSING).update(
            progress=max(0, min(100, percent))
        )

    return save


def store_output(storage: Storage, folder: Path, prefix: str) -> None:
    """The output files under ``prefix``, by the names they have in the folder."""
    _discard(storage, prefix)  # a previous attempt's leftovers
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = posixpath.join(prefix, path.relative_to(folder).as_posix())
        with path.open("rb") as handle:
            saved = storage.save(name, File(handle))
        if saved != name:  # the storage renamed it: the playlists would point nowhere
            raise OSError(f"storage saved {name} as {saved}")


def _discard(storage: Storage, prefix: str) -> None:
    try:
        for name in _names_under(storage, prefix):
            storage.delete(name)
    except Exception:  # leftovers under a key nobody serves are harmless
        logger.exception("courses: could not clear %s", prefix)


def _names_under(storage: Storage, directory: str) -> list[str]:
    try:
        directories, files = storage.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return []
    names = [posixpath.join(directory, name) for name in files]
    for name in directories:
        names += _names_under(storage, posixpath.join(directory, name))
    return names


def publish_transcoded(*, video_id: int, transcoded: Transcoded, hls_prefix: str) -> Video | None:
    """The stored ladder made the lesson's current video (unless a newer upload of the lesson
    is current already), its duration the lesson's, and the course's length recomputed: all
    in one transaction, so a player sees the old video or the new one, never half of it."""
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(pk=video_id).first()
        if video is None:
            return None
        lesson = Lesson.objects.select_for_update().filter(pk=video.lesson_id).first()
        if lesson is None:
            return None
        found = transcoded.probe
        video.status, video.progress, video.error = VideoStatus.READY, 100, ""
        video.duration_seconds = found.duration
        video.width, video.height = found.width, found.height
        video.hls_prefix = hls_prefix
        video.renditions = [
            {
                "height": rendition.height,
                "width": rendition.width,
                "bandwidth": rendition.bandwidth,
                "playlist": rendition.playlist,
                "codecs": rendition.codecs,
            }
            for rendition in transcoded.renditions
        ]
        video.ready_at = timezone.now()
        newer = Video.objects.filter(lesson=lesson, is_current=True, pk__gt=video.pk)
        if not newer.exists():
            Video.objects.filter(lesson=lesson, is_current=True).update(is_current=False)
            video.is_current = True
            _schedule_retirement(lesson_id=lesson.pk, replaced_by=video.pk)
            lesson.duration_seconds = max(1, round(found.duration))
            lesson.save(update_fields=["duration_seconds"])
        video.save()
        if video.is_current:
            recompute_course_duration(course_id=lesson.course_id)
        return video


RETIRE_TASK = "courses.retire_video"


def _schedule_retirement(*, lesson_id: int, replaced_by: int) -> None:
    """The lesson's earlier uploads lose their files once every playlist handed out before
    the switch has expired (``playback_link_seconds``): a student mid-lesson finishes it."""
    at = timezone.now() + timedelta(seconds=course_settings().playback_link_seconds)
    earlier = Video.objects.filter(lesson_id=lesson_id, pk__lt=replaced_by, is_current=False)
    for video_id in earlier.exclude(hls_prefix="", source="").values_list("pk", flat=True):
        schedule_deadline(
            key=f"courses:video:{video_id}:retire",
            at=at,
            task=RETIRE_TASK,
            payload={"video_id": video_id},
        )


def retire_video(*, video_id: int) -> bool:
    """An earlier upload of a lesson, replaced: its ladder and source deleted and the row
    kept (the lesson's history) with nothing to serve. Idempotent; True when files went."""
    video = Video.objects.filter(pk=video_id, is_current=False).first()
    if video is None or (not video.hls_prefix and not video.source):
        return False
    if video.hls_prefix:
        _discard(default_storage, video.hls_prefix)
    if video.source:
        video.source.delete(save=False)
    Video.objects.filter(pk=video.pk, is_current=False).update(hls_prefix="", source="")
    return True


def _fail(video_id: int, message: str) -> None:
    try:
        Video.objects.filter(pk=video_id).exclude(status=VideoStatus.READY).update(
            status=VideoStatus.FAILED, error=message[:300], progress=0
        )
    except Exception:  # the database itself is away: the retry or the seller picks it up
        logger.exception("courses: could not record the failure of video %s", video_id)


def _tell_seller(video_id: int) -> None:
    video = (
        Video.objects.select_related("lesson__course__product__seller").filter(pk=video_id).first()
    )
    if video is None:
        return
    lesson = video.lesson
    ready = video.status == VideoStatus.READY
    title = (
        f"Your video for “{lesson.title[:120]}” is ready"
        if ready
        else f"Your video for “{lesson.title[:120]}” could not be processed"
    )
    try:
        url = reverse("courses_studio:lesson_edit", args=[lesson.pk])
    except NoReverseMatch:
        url = ""
    try:
        notify(
            user_ids=[lesson.course.product.seller.owner_id],
            type_key=VIDEO_PROCESSED,
            title=title,
            body="" if ready else video.error,
            url=url,
            data={"video_id": video.pk, "lesson_id": lesson.pk, "status": video.status},
            dedupe_key=f"courses.video:{video.pk}:{video.status}:{video.attempts}",
        )
    except Exception:  # telling is a courtesy: the studio shows the status anyway
        logger.exception("courses: could not tell the seller about video %s", video_id)


# --- playback ------------------------------------------------------------------------------


def current_video(*, lesson_id: int) -> Video | None:
    return Video.objects.filter(
        lesson_id=lesson_id, is_current=True, status=VideoStatus.READY
    ).first()


def playable_video(*, key: str, user_id: int | None) -> Video | None:
    """A ready video the user may watch (its lesson opens for them), else None: the views
    answer 404 alike for what does not exist and what is not theirs."""
    video = (
        Video.objects.select_related("lesson__course__product")
        .filter(key=key, status=VideoStatus.READY)
        .exclude(hls_prefix="")
        .first()
    )
    if video is None:
        return None
    if can_open(user_id=user_id, lesson=video.lesson):
        return video
    if user_id is not None and is_course_seller(
        user_id=user_id, seller_id=video.lesson.course.product.seller_id
    ):
        return video
    return None


def is_course_seller(*, user_id: int, seller_id: int) -> bool:
    """The seller's owner, or a teammate who manages products: they watch what they made."""
    if Seller.objects.filter(pk=seller_id, owner_id=user_id).exists():
        return True
    return TeamMember.objects.filter(
        seller_id=seller_id,
        user_id=user_id,
        permissions__contains=[TeamPermission.MANAGE_PRODUCTS.value],
    ).exists()


def rendition_names(video: Video) -> set[str]:
    """The ladder's folders ("360p", ...), from each rendition's playlist path."""
    return {
        str(item.get("playlist", "")).split("/")[0]
        for item in video.renditions
        if isinstance(item, dict) and item.get("playlist")
    }


def output_name(video: Video, relative: str) -> str:
    """The stored name of one output file (``master.m3u8``, ``540p/seg_0001.ts``, ...)."""
    return posixpath.join(video.hls_prefix, relative)
