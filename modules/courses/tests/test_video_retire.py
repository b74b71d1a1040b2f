"""A lesson's replaced video: a student part way through it keeps watching until every
playlist handed out before the switch has expired (``playback_link_seconds``); then a
durable deadline, fired once, deletes its ladder and source and nothing serves it; the new
video plays on."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django_tenants.utils import schema_context

from core.deadlines.models import Deadline, DeadlineStatus
from core.deadlines.sweep import sweep_due_deadlines
from modules.courses.models import Video
from modules.courses.services import video as videos
from modules.courses.tests.helpers_cvideo import (
    SELLER_API,
    T0,
    VideoSchool,
    make_video,
    playback_paths,
)
from tests.accounts_helpers import sign_in

HOURS_6 = timedelta(hours=6)  # the default playback_link_seconds


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("clip") / "cut.mp4", seconds=4, width=320, height=240)


@pytest.fixture
def school(make_tenant: Any, time_machine: Any) -> VideoSchool:
    time_machine.move_to(T0, tick=False)
    return VideoSchool(make_tenant, "retire-school")


def seller(school: VideoSchool) -> Client:
    client = school.client()
    assert sign_in(client, school.owner.email).status_code == 200
    return client


def uploaded(client: Client, school: VideoSchool, clip: Path, capture: Any) -> int:
    with capture(execute=True):
        answer = client.post(
            f"{SELLER_API}/lessons/{school.lesson.pk}/videos",
            {"file": open(clip, "rb")},  # noqa: SIM115  # the client reads and closes it
        )
    assert answer.status_code == 201, answer.content
    return int(answer.json()["id"])


def files_of(video: Video) -> list[str]:
    return [
        name
        for name in (f"{video.hls_prefix}/master.m3u8", video.source.name)
        if name and default_storage.exists(name)
    ]


def test_a_replaced_video_is_served_until_its_playlists_expire_then_deleted_once(
    school: VideoSchool, clip: Path, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = seller(school)
    first_id = uploaded(client, school, clip, django_capture_on_commit_callbacks)
    with schema_context(school.tenant.schema_name):
        first = Video.objects.get(pk=first_id)
        assert not Deadline.objects.exists()  # nothing replaced yet
    second_id = uploaded(client, school, clip, django_capture_on_commit_callbacks)

    with schema_context(school.tenant.schema_name):
        first.refresh_from_db()
        second = Video.objects.get(pk=second_id)
        assert second.is_current and not first.is_current
        assert len(files_of(first)) == 2
        deadline = Deadline.objects.get()
        assert deadline.key == f"courses:video:{first_id}:retire"
        assert deadline.at == T0 + HOURS_6
        # A minute before: a student who started the old lesson still streams it.
        assert sweep_due_deadlines(now=T0 + HOURS_6 - timedelta(minutes=1)).fired == 0
    assert client.get(playback_paths(first)["segment"]).status_code == 200

    time_machine.move_to(T0 + HOURS_6, tick=False)
    with schema_context(school.tenant.schema_name):
        assert sweep_due_deadlines().fired == 1
        gone = Video.objects.get(pk=first_id)
        assert (gone.hls_prefix, gone.source.name) == ("", "")
        assert files_of(first) == [] and not default_storage.exists(
            f"{first.hls_prefix}/{first.renditions[0]['playlist']}"
        )
        assert Deadline.objects.get().status == DeadlineStatus.FIRED
        assert sweep_due_deadlines().fired == 0  # fired once
        assert videos.retire_video(video_id=first_id) is False  # and idempotent
        assert len(files_of(second)) == 2  # the current one is never touched
        assert videos.retire_video(video_id=second_id) is False
    assert client.get(playback_paths(first)["master"]).status_code == 404
    assert client.get(playback_paths(second)["master"]).status_code == 200
