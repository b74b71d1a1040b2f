"""Uploading a lesson's video and the job that publishes it: the seller uploads through the
seller API (checked by content, size and length), the Celery job (eager here, real ffmpeg)
transcodes into private storage under the tenant's prefix and makes the video the lesson's
current one with the lesson's and course's durations; a corrupt upload fails with a reason
and leaves the current video playing; an interrupted job is retried with backoff and its
attempts counted; another seller's lesson is 404; the studio fragment shows it all."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from celery.exceptions import Retry
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context

from core.notifications.models import Notification
from modules.courses.models import Course, Lesson, Video, VideoStatus
from modules.courses.services import video as videos
from modules.courses.services.durations import recompute_course_duration
from modules.courses.tasks import process_video_task
from modules.courses.tests.helpers_cvideo import (
    SELLER_API,
    STUDIO,
    T0,
    VideoSchool,
    corrupt_video,
    make_video,
    playback_paths,
)
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import sign_in


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("clip") / "cut.mp4", seconds=8, width=640, height=360)


@pytest.fixture
def school(make_tenant: Any, time_machine: Any) -> VideoSchool:
    time_machine.move_to(T0, tick=False)
    return VideoSchool(make_tenant, "cut-school")


def api(school: VideoSchool, user: Any) -> Client:
    client = school.client()
    assert sign_in(client, user.email).status_code == 200
    return client


def upload(client: Client, lesson_id: int, name: str, content: bytes) -> Any:
    return client.post(
        f"{SELLER_API}/lessons/{lesson_id}/videos", {"file": SimpleUploadedFile(name, content)}
    )


def test_an_upload_is_transcoded_and_becomes_the_lesson_video_and_a_corrupt_one_never_does(
    school: VideoSchool, clip: Path, django_capture_on_commit_callbacks: Any
) -> None:
    seller = api(school, school.owner)
    with django_capture_on_commit_callbacks(execute=True):
        answer = upload(seller, school.lesson.pk, "cut.mp4", clip.read_bytes())

    assert answer.status_code == 201, answer.content
    with schema_context(school.tenant.schema_name):
        video = Video.objects.get()
        assert (video.status, video.progress, video.attempts, video.error) == (
            VideoStatus.READY,
            100,
            1,
            "",
        )
        assert video.is_current and (video.width, video.height) == (640, 360)
        assert video.duration_seconds == pytest.approx(8.0, abs=0.1)
        assert video.renditions[0]["height"] == 360 and len(video.renditions) == 1
        prefix = f"{school.tenant.schema_name}/courses/videos/{video.key}/hls"
        assert video.hls_prefix == prefix
        assert default_storage.exists(f"{prefix}/master.m3u8")
        assert default_storage.exists(f"{prefix}/360p/seg_0001.ts")
        assert default_storage.exists(f"{prefix}/poster.jpg")
        assert Lesson.objects.get(pk=school.lesson.pk).duration_seconds == 8
        # 8 s of video plus the 120 s text lesson.
        assert Course.objects.get(pk=school.course.pk).duration_seconds == 128
        told = Notification.objects.get(user=school.owner)
        assert told.title == "Your video for “Your first cut” is ready"
    listed = seller.get(f"{SELLER_API}/lessons/{school.lesson.pk}/videos").json()
    assert [(row["status"], row["progress"], row["is_current"]) for row in listed] == [
        ("ready", 100, True)
    ]

    # A corrupt replacement: failed with a reason, the first video still current and served.
    with django_capture_on_commit_callbacks(execute=True):
        broken = upload(seller, school.lesson.pk, "take2.mp4", corrupt_video(clip))
    assert broken.status_code == 201, broken.content
    assert broken.json()["status"] == "uploaded"  # the job runs once the upload commits
    newest = seller.get(f"{SELLER_API}/lessons/{school.lesson.pk}/videos").json()[0]
    assert (newest["id"], newest["status"]) == (broken.json()["id"], "failed")
    assert newest["error"] == "This file is not a video we can read."
    with schema_context(school.tenant.schema_name):
        failed = Video.objects.get(pk=broken.json()["id"])
        assert (failed.status, failed.is_current, failed.hls_prefix, failed.attempts) == (
            VideoStatus.FAILED,
            False,
            "",
            1,
        )
        assert not default_storage.exists(f"{videos.hls_prefix_of(failed)}/master.m3u8")
        assert Video.objects.get(is_current=True).pk == video.pk
        assert Lesson.objects.get(pk=school.lesson.pk).duration_seconds == 8
    assert seller.get(playback_paths(video)["master"]).status_code == 200

    # The seller retries the failed one: it fails again, its attempts counted.
    with django_capture_on_commit_callbacks(execute=True):
        again = seller.post(f"{SELLER_API}/videos/{failed.pk}/retry")
    assert again.status_code == 200, again.content
    newest = seller.get(f"{SELLER_API}/lessons/{school.lesson.pk}/videos").json()[0]
    assert (newest["status"], newest["attempts"], newest["is_current"]) == ("failed", 2, False)
    ready_again = seller.post(f"{SELLER_API}/videos/{video.pk}/retry")
    assert ready_again.status_code == 409


def test_an_interrupted_job_is_retried_with_its_attempts_counted_and_then_gives_up(
    school: VideoSchool, clip: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with schema_context(school.tenant.schema_name):
        with django_capture_on_commit_callbacks(execute=False):
            video = videos.upload_video(
                seller_id=school.seller.pk,
                lesson_id=school.lesson.pk,
                name="cut.mp4",
                stream=io.BytesIO(clip.read_bytes()),
                size=clip.stat().st_size,
            )
        # The stored source vanished (storage trouble): not the video's fault, so Celery
        # retries it with backoff (eagerly run tasks hand the retry back as ``Retry``).
        default_storage.delete(video.source.name or "")
        with pytest.raises(Retry) as retried:
            process_video_task.delay(video.pk)
        assert retried.value.when is not None
        video.refresh_from_db()
        assert (video.status, video.attempts, video.error) == (
            VideoStatus.FAILED,
            1,
            videos.INTERRUPTED,
        )
        assert getattr(process_video_task, "retry_backoff", 0) == 60
        assert process_video_task.max_retries == videos.MAX_ATTEMPTS - 1

        # The last attempt gives up with a reason and publishes nothing.
        assert videos.process_video(video_id=video.pk, final_attempt=True) == "failed"
        video.refresh_from_db()
        assert (video.status, video.attempts, video.is_current, video.hls_prefix) == (
            VideoStatus.FAILED,
            2,
            False,
            "",
        )
        assert video.error == videos.GAVE_UP.format(attempts=2)
        assert not Video.objects.filter(is_current=True).exists()


def test_uploads_are_checked_by_content_size_and_length(
    school: VideoSchool, clip: Path, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    seller = api(school, school.owner)
    pdf = upload(seller, school.lesson.pk, "notes.mp4", b"%PDF-1.7\n" + b"0" * 2000)
    assert pdf.status_code == 422
    assert pdf.json()["error"]["message"] == "notes.mp4: this is not a video."
    empty = upload(seller, school.lesson.pk, "empty.mp4", b"")
    assert empty.status_code == 422
    text = upload(seller, school.reading.pk, "cut.mp4", clip.read_bytes())
    assert text.status_code == 422
    assert text.json()["error"]["message"] == "Only a video lesson takes a video."

    long = make_video(tmp_path / "long.mp4", seconds=61, width=64, height=64, rate=1)
    set_module_enabled(
        tenant=school.tenant,
        key="courses",
        is_enabled=True,
        config={"max_video_minutes": 1, "max_video_mb": 1},
    )
    too_long = upload(seller, school.lesson.pk, "long.mp4", long.read_bytes())
    assert too_long.status_code == 413, too_long.content
    assert too_long.json()["error"]["message"] == (
        "long.mp4: a lesson video is at most 1 minutes long."
    )
    too_big = upload(seller, school.lesson.pk, "big.mp4", clip.read_bytes() + b"\0" * 2**20)
    assert too_big.status_code == 413
    assert too_big.json()["error"]["message"] == "big.mp4: a lesson video is at most 1 MB."
    with schema_context(school.tenant.schema_name):
        assert not Video.objects.exists()


def test_another_sellers_lesson_and_video_are_not_found(
    school: VideoSchool, clip: Path, django_capture_on_commit_callbacks: Any
) -> None:
    rival = api(school, school.rival_owner)
    assert upload(rival, school.lesson.pk, "cut.mp4", clip.read_bytes()).status_code == 404
    assert rival.get(f"{SELLER_API}/lessons/{school.lesson.pk}/videos").status_code == 404
    with schema_context(school.tenant.schema_name):
        video = Video.objects.create(
            lesson=school.lesson, original_name="x.mp4", status=VideoStatus.FAILED
        )
    assert rival.post(f"{SELLER_API}/videos/{video.pk}/retry").status_code == 404
    studio = school.client(school.rival_owner)
    assert studio.get(f"{STUDIO}/lessons/{school.lesson.pk}/video/").status_code == 404
    assert studio.post(f"{STUDIO}/videos/{video.pk}/retry/").status_code == 404
    buyer = api(school, school.buyer)
    assert upload(buyer, school.lesson.pk, "cut.mp4", clip.read_bytes()).status_code == 403
    with schema_context(school.tenant.schema_name):
        assert Video.objects.count() == 1


def test_the_studio_fragment_uploads_shows_progress_and_failures(
    school: VideoSchool, clip: Path, django_capture_on_commit_callbacks: Any
) -> None:
    studio = school.client(school.owner)
    status_url = f"{STUDIO}/lessons/{school.lesson.pk}/video/"
    empty = studio.get(status_url)
    assert empty.status_code == 200 and "No video yet" in empty.content.decode()
    with schema_context(school.tenant.schema_name):
        waiting = Video.objects.create(
            lesson=school.lesson,
            original_name="lecture.mov",
            status=VideoStatus.PROCESSING,
            progress=42,
        )
    page = studio.get(status_url).content.decode()
    assert "Processing: 42%" in page and 'value="42"' in page
    assert 'hx-trigger="every 2s"' in page  # polls while processing

    with django_capture_on_commit_callbacks(execute=True):
        sent = studio.post(
            f"{STUDIO}/lessons/{school.lesson.pk}/video/upload/",
            {"file": SimpleUploadedFile("take2.mp4", corrupt_video(clip))},
            headers={"HX-Request": "true"},
        )
    assert sent.status_code == 200
    assert "take2.mp4" in sent.content.decode()  # listed; the job runs once it commits
    html = studio.get(status_url).content.decode()
    assert "This file is not a video we can read." in html and "Try again" in html
    refused = studio.post(
        f"{STUDIO}/lessons/{school.lesson.pk}/video/upload/",
        {"file": SimpleUploadedFile("notes.mp4", b"%PDF-1.7\n" + b"0" * 100)},
    )
    assert refused.status_code == 422 and "notes.mp4: this is not a video." in (
        refused.content.decode()
    )
    with schema_context(school.tenant.schema_name):
        Video.objects.filter(pk=waiting.pk).update(status=VideoStatus.FAILED, error="Boom.")
    assert 'hx-trigger="every 2s"' not in studio.get(status_url).content.decode()


def test_the_course_duration_is_the_sum_of_its_lessons(school: VideoSchool) -> None:
    with schema_context(school.tenant.schema_name):
        Lesson.objects.filter(pk=school.lesson.pk).update(duration_seconds=300)
        assert recompute_course_duration(course_id=school.course.pk) == 420
        assert Course.objects.get(pk=school.course.pk).duration_seconds == 420
