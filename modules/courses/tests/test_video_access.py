"""Who gets a lesson's stream: the master playlist, a rendition's playlist, its segments, the
AES-128 key and the poster go to a buyer with a live enrolment, and to everyone for a
preview lesson; a stranger, another seller, a signed-out visitor, a refunded buyer, another
marketplace and a marketplace with courses switched off get 404 for every one of them. The
learner API's playback answer follows the same rule, and the player partial plays it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django_tenants.utils import schema_context

from modules.courses.models import Lesson, Video
from modules.courses.processing.transcode import Transcoded, transcode
from modules.courses.tests.helpers_cvideo import (
    T0,
    VideoSchool,
    make_video,
    playback_paths,
)
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import sign_in


class Ladder:
    def __init__(self, source: Path, result: Transcoded) -> None:
        self.source, self.result = source, result


@pytest.fixture(scope="module")
def ladder(tmp_path_factory: pytest.TempPathFactory) -> Ladder:
    """One transcode for the module: 8 s of 640x360 (a 360p rung, two segments)."""
    folder = tmp_path_factory.mktemp("access")
    source = make_video(folder / "lesson.mp4", seconds=8, width=640, height=360)
    return Ladder(source, transcode(source, folder / "hls"))


@pytest.fixture
def school(make_tenant: Any, time_machine: Any) -> VideoSchool:
    time_machine.move_to(T0, tick=False)
    return VideoSchool(make_tenant, "reel-school")


def statuses(client: Client, video: Video) -> dict[str, int]:
    return {name: client.get(path).status_code for name, path in playback_paths(video).items()}


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


ALL_OK = {"master": 200, "rendition": 200, "segment": 200, "key": 200, "poster": 200}
ALL_GONE = {"master": 404, "rendition": 404, "segment": 404, "key": 404, "poster": 404}


def test_an_enrolled_buyer_streams_the_lesson_privately(
    school: VideoSchool, ladder: Ladder, django_capture_on_commit_callbacks: Any
) -> None:
    video = school.publish(school.lesson, ladder.result, ladder.source)
    school.buy(school.buyer, django_capture_on_commit_callbacks)
    buyer = school.client(school.buyer)
    paths = playback_paths(video)

    assert statuses(buyer, video) == ALL_OK
    master = buyer.get(paths["master"])
    assert master["Content-Type"] == "application/vnd.apple.mpegurl"
    assert master["Cache-Control"] == "private, no-store"
    assert body(master).decode().splitlines()[-1] == "360p/index.m3u8"
    playlist = body(buyer.get(paths["rendition"])).decode()
    assert 'URI="../key"' in playlist and "seg_0001.ts" in playlist
    key = buyer.get(paths["key"])
    assert key["Cache-Control"] == "private, no-store"
    assert body(key) == (ladder.result.folder / "enc.key").read_bytes()
    segment = buyer.get(paths["segment"])
    assert segment["Content-Type"] == "video/mp2t"
    assert segment["Cache-Control"].startswith("private")
    assert body(segment) == (ladder.result.folder / "360p" / "seg_0000.ts").read_bytes()
    # Names outside the ladder are not files to guess at.
    base = f"/courses/videos/{video.key}"
    for path in (f"{base}/1080p/index.m3u8", f"{base}/360p/enc.key", f"{base}/360p/x.ts"):
        assert buyer.get(path).status_code == 404, path

    api = school.client()
    assert sign_in(api, school.buyer.email).status_code == 200
    answer = api.get(f"/api/v1/courses/lessons/{school.lesson.pk}/playback")
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "lesson_id": school.lesson.pk,
        "video_key": video.key,
        "master_url": paths["master"],
        "poster_url": paths["poster"],
        "duration_seconds": pytest.approx(8.0, abs=0.1),
        "renditions": [{"height": 360, "width": 640, "bandwidth": 542300}],
    }


def test_nobody_else_gets_any_part_of_the_stream(
    school: VideoSchool, ladder: Ladder, django_capture_on_commit_callbacks: Any
) -> None:
    video = school.publish(school.lesson, ladder.result, ladder.source)
    assert statuses(school.client(), video) == ALL_GONE
    assert statuses(school.client(school.stranger), video) == ALL_GONE
    assert statuses(school.client(school.rival_owner), video) == ALL_GONE
    # The course's own seller watches what they made.
    assert statuses(school.client(school.owner), video) == ALL_OK

    api = school.client()
    assert sign_in(api, school.stranger.email).status_code == 200
    assert api.get(f"/api/v1/courses/lessons/{school.lesson.pk}/playback").status_code == 404


def test_a_refund_closes_the_stream_at_once(
    school: VideoSchool, ladder: Ladder, django_capture_on_commit_callbacks: Any
) -> None:
    video = school.publish(school.lesson, ladder.result, ladder.source)
    order = school.buy(school.buyer, django_capture_on_commit_callbacks)
    buyer = school.client(school.buyer)
    assert statuses(buyer, video) == ALL_OK

    school.refund(order.pk, django_capture_on_commit_callbacks)

    assert statuses(buyer, video) == ALL_GONE


def test_a_preview_lesson_streams_to_everyone(
    school: VideoSchool, ladder: Ladder, django_capture_on_commit_callbacks: Any
) -> None:
    preview = school.publish(school.preview, ladder.result, ladder.source)
    assert statuses(school.client(), preview) == ALL_OK
    assert statuses(school.client(school.stranger), preview) == ALL_OK


def test_another_marketplace_and_courses_switched_off_find_nothing(
    school: VideoSchool,
    ladder: Ladder,
    make_tenant: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    video = school.publish(school.lesson, ladder.result, ladder.source)
    preview = school.publish(school.preview, ladder.result, ladder.source)
    school.buy(school.buyer, django_capture_on_commit_callbacks)
    other = VideoSchool(make_tenant, "other-school")
    other.buy(other.buyer, django_capture_on_commit_callbacks)
    # The other marketplace's enrolled buyer, asking there for this one's video and preview.
    elsewhere = other.client(other.buyer)
    assert statuses(elsewhere, video) == ALL_GONE
    assert statuses(elsewhere, preview) == ALL_GONE

    buyer = school.client(school.buyer)
    set_module_enabled(tenant=school.tenant, key="courses", is_enabled=False)
    assert statuses(buyer, video) == ALL_GONE
    assert statuses(school.client(), preview) == ALL_GONE


def test_the_player_partial_plays_the_master_playlist_and_reports_progress(
    school: VideoSchool, ladder: Ladder
) -> None:
    video = school.publish(school.lesson, ladder.result, ladder.source)
    with schema_context(school.tenant.schema_name):
        html = render_to_string(
            "courses/_player.html",
            {
                "video": video,
                "lesson": school.lesson,
                "progress_url": "/api/v1/courses/progress",
                "start_at": 42,
                "csrf_token": "token-123",
            },
        )
    assert f'data-src="/courses/videos/{video.key}/master.m3u8"' in html
    assert 'data-progress-url="/api/v1/courses/progress"' in html
    assert 'data-start-at="42"' in html and 'data-csrf="token-123"' in html
    assert 'src="/static/courses/vendor/hls.min.js"' in html
    assert 'src="/static/courses/player.js"' in html
    assert [f'value="{rate}"' in html for rate in ("0.75", "1", "1.25", "1.5", "1.75", "2")] == [
        True
    ] * 6
    assert "<script>" not in html  # the CSP allows script files only
    player = (Path(__file__).parents[1] / "static" / "courses" / "player.js").read_text()
    assert "lesson_id: lessonId, intervals: intervals, position:" in player


def test_a_dripped_lesson_streams_only_once_it_opens(
    school: VideoSchool,
    ladder: Ladder,
    time_machine: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with schema_context(school.tenant.schema_name):
        Lesson.objects.filter(pk=school.lesson.pk).update(drip_days=7)
        school.lesson.refresh_from_db()
    video = school.publish(school.lesson, ladder.result, ladder.source)
    school.buy(school.buyer, django_capture_on_commit_callbacks)
    buyer = school.client(school.buyer)
    assert statuses(buyer, video) == ALL_GONE

    time_machine.move_to(T0 + timedelta(days=8), tick=False)

    assert statuses(buyer, video) == ALL_OK


def test_a_segment_costs_a_fixed_handful_of_queries(
    school: VideoSchool,
    ladder: Ladder,
    django_assert_max_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    video = school.publish(school.lesson, ladder.result, ladder.source)
    school.buy(school.buyer, django_capture_on_commit_callbacks)
    buyer = school.client(school.buyer)
    paths = playback_paths(video)
    assert buyer.get(paths["master"]).status_code == 200
    # Tenant routing, session and user (4), then the video, the enrolment and the lesson's
    # state (drip, prerequisites): a player asks for one of these every few seconds.
    with django_assert_max_num_queries(9):
        assert buyer.get(paths["segment"]).status_code == 200
