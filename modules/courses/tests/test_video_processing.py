"""Transcoding with Debian's ffmpeg: a source becomes an AES-128-encrypted HLS ladder that
never upscales, with 6-second segments cut on keyframes at most 2 seconds apart, a master
playlist naming each rendition's bandwidth, resolution and codecs, a poster frame, and
progress reported as it goes; a file that is not a readable video fails with a reason a
seller understands. The sources are made here by ffmpeg's test sources, and the outputs are
read back with ffprobe. One transcode per source for the whole module."""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from modules.courses.processing.transcode import (
    LADDER,
    Transcoded,
    TranscodeFailed,
    ladder_for,
    probe,
    transcode,
)
from modules.courses.tests.helpers_cvideo import (
    corrupt_video,
    ffprobe_json,
    make_video,
    serve_key_beside,
)


class Run:
    def __init__(self, source: Path, result: Transcoded, progress: list[int]) -> None:
        self.source, self.result, self.progress = source, result, progress


def _run(folder: Path, name: str, seconds: int, width: int, height: int) -> Run:
    source = make_video(folder / f"{name}.mp4", seconds=seconds, width=width, height=height)
    progress: list[int] = []
    result = transcode(source, folder / name, on_progress=progress.append)
    serve_key_beside(result.folder)
    return Run(source, result, progress)


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """4 s of 1280x720: three rungs (360p, 540p, 720p), none above the source."""
    return _run(tmp_path_factory.mktemp("wide"), "wide", 4, 1280, 720)


@pytest.fixture(scope="module")
def long_small(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """8 s of 640x360: one rung, a 6 s segment and a 2 s one."""
    return _run(tmp_path_factory.mktemp("small"), "small", 8, 640, 360)


def _extinf(playlist: Path) -> list[float]:
    return [float(value) for value in re.findall(r"#EXTINF:([\d.]+),", playlist.read_text())]


def test_the_ladder_never_upscales_and_always_has_a_rung() -> None:
    assert [rung.height for rung in ladder_for(2160)] == [360, 540, 720, 1080]
    assert [rung.height for rung in ladder_for(1080)] == [360, 540, 720, 1080]
    assert [rung.height for rung in ladder_for(719)] == [360, 540]
    assert [rung.height for rung in ladder_for(360)] == [360]
    smaller = ladder_for(241)
    assert [rung.height for rung in smaller] == [240]  # the source's own (even) height
    assert smaller[0].video_kbps == LADDER[0].video_kbps == 365
    assert [(rung.height, rung.video_kbps) for rung in LADDER] == [
        (360, 365),
        (540, 2000),
        (720, 3000),
        (1080, 6000),
    ]


def test_a_720p_source_becomes_a_360_540_720_ladder_and_no_more(wide: Run) -> None:
    folder = wide.result.folder
    assert [r.height for r in wide.result.renditions] == [360, 540, 720]
    assert not (folder / "1080p").exists()
    for rendition in wide.result.renditions:
        streams = ffprobe_json(folder / rendition.playlist, "-show_streams")["streams"]
        video = next(s for s in streams if s["codec_type"] == "video")
        assert (video["codec_name"], video["width"], video["height"]) == (
            "h264",
            rendition.width,
            rendition.height,
        )
        assert any(s["codec_type"] == "audio" and s["codec_name"] == "aac" for s in streams)
    assert wide.result.probe.width == 1280 and wide.result.probe.has_audio

    master = (folder / "master.m3u8").read_text().splitlines()
    variants = [line for line in master if line.startswith("#EXT-X-STREAM-INF:")]
    assert variants == [
        '#EXT-X-STREAM-INF:BANDWIDTH=542300,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"',
        '#EXT-X-STREAM-INF:BANDWIDTH=2340800,RESOLUTION=960x540,CODECS="avc1.64001f,mp4a.40.2"',
        '#EXT-X-STREAM-INF:BANDWIDTH=3440800,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"',
    ]
    assert [line for line in master if line and not line.startswith("#")] == [
        "360p/index.m3u8",
        "540p/index.m3u8",
        "720p/index.m3u8",
    ]


def test_segments_last_six_seconds_with_a_keyframe_every_two(long_small: Run) -> None:
    playlist = long_small.result.folder / "360p" / "index.m3u8"
    assert [r.height for r in long_small.result.renditions] == [360]
    assert _extinf(playlist) == pytest.approx([6.0, 2.0], abs=0.05)
    assert "#EXT-X-TARGETDURATION:6" in playlist.read_text()
    frames = ffprobe_json(
        playlist,
        "-select_streams",
        "v:0",
        "-skip_frame",
        "nokey",
        "-show_entries",
        "frame=pts_time",
    )["frames"]
    keyframes = [float(frame["pts_time"]) for frame in frames]
    gaps = [later - earlier for earlier, later in itertools.pairwise(keyframes)]
    assert len(keyframes) == 4 and all(gap <= 2.0 + 0.05 for gap in gaps), keyframes


def test_the_master_playlist_plays_and_the_segments_are_encrypted(long_small: Run) -> None:
    folder = long_small.result.folder
    found = ffprobe_json(folder / "master.m3u8", "-show_format", "-show_streams")
    assert float(found["format"]["duration"]) == pytest.approx(8.0, abs=0.2)
    assert {s["codec_type"] for s in found["streams"]} == {"video", "audio"}

    playlist = (folder / "360p" / "index.m3u8").read_text()
    assert re.search(r'#EXT-X-KEY:METHOD=AES-128,URI="\.\./key",IV=0x[0-9a-f]{32}', playlist)
    assert len((folder / "enc.key").read_bytes()) == 16
    segment = (folder / "360p" / "seg_0000.ts").read_bytes()
    # Clear MPEG-TS starts every 188-byte packet with 0x47; ciphertext does not.
    assert not all(segment[i] == 0x47 for i in range(0, 188 * 4, 188))


def test_a_poster_frame_and_progress_to_one_hundred(wide: Run) -> None:
    with Image.open(wide.result.folder / "poster.jpg") as poster:
        assert (poster.format, poster.size) == ("JPEG", (1280, 720))
    assert wide.progress[-1] == 100
    assert wide.progress == sorted(wide.progress) and len(wide.progress) >= 3
    assert all(0 <= value <= 100 for value in wide.progress)


def test_a_source_below_the_lowest_rung_keeps_its_own_size(tmp_path: Path) -> None:
    source = make_video(tmp_path / "tiny.mp4", seconds=2, width=320, height=180, rate=10)
    result = transcode(source, tmp_path / "out")
    assert [(r.width, r.height) for r in result.renditions] == [(320, 180)]
    assert (tmp_path / "out" / "180p" / "index.m3u8").exists()
    assert probe(source).fps == pytest.approx(10.0)


def test_a_file_that_is_not_a_readable_video_fails_with_a_reason(
    long_small: Run, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(corrupt_video(long_small.source))
    with pytest.raises(TranscodeFailed) as failed:
        transcode(broken, tmp_path / "out")
    assert str(failed.value) == "This file is not a video we can read."
    assert not (tmp_path / "out" / "master.m3u8").exists()


def test_a_silent_portrait_video_counts_its_short_side(tmp_path: Path) -> None:
    source = tmp_path / "phone.mp4"
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi"]
    command += ["-i", "testsrc=size=540x960:rate=10:d=2", "-c:v", "libx264"]
    command += ["-preset", "ultrafast", "-pix_fmt", "yuv420p", str(source)]
    subprocess.run(command, check=True, capture_output=True, timeout=60)

    result = transcode(source, tmp_path / "out")

    assert [(r.name, r.width, r.height) for r in result.renditions] == [
        ("360p", 360, 640),
        ("540p", 540, 960),
    ]
    master = (tmp_path / "out" / "master.m3u8").read_text()
    assert 'RESOLUTION=540x960,CODECS="avc1.64001f"' in master  # no audio codec named
    serve_key_beside(tmp_path / "out")
    streams = ffprobe_json(tmp_path / "out" / "540p" / "index.m3u8", "-show_streams")["streams"]
    assert [(s["codec_type"], s["width"], s["height"]) for s in streams] == [("video", 540, 960)]
