"""A lesson video made streamable: Debian's ffmpeg turns an uploaded source into HLS with an
adaptive ladder that never upscales, 6-second segments cut on keyframes every 2 seconds,
AES-128-encrypted segments (the key URI points back at Souk, which hands the key out only
after an access check), one master playlist naming each rendition's bandwidth, resolution
and codecs, and a poster frame. Pure file work: no database, no storage; the service moves
the output into private storage."""

from __future__ import annotations

import json
import math
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SEGMENT_SECONDS = 6
KEYFRAME_SECONDS = 2
PROBE_TIMEOUT_SECONDS = 60
# A long lecture on a slow worker; the job is retried if the worker dies instead.
TRANSCODE_TIMEOUT_SECONDS = 4 * 3600
POSTER_TIMEOUT_SECONDS = 60
POSTER_MAX_HEIGHT = 720
KEY_FILE = "enc.key"  # inside the output folder; served only by the key view
MASTER = "master.m3u8"
POSTER = "poster.jpg"
AUDIO_BITRATE = "128k"
AUDIO_CODEC = "mp4a.40.2"  # AAC-LC


@dataclass(frozen=True)
class Rung:
    """One rendition of the ladder: its height, video bitrate and H.264 level."""

    height: int
    video_kbps: int
    level: str  # H.264 level, e.g. "3.1"

    @property
    def name(self) -> str:
        return f"{self.height}p"

    @property
    def codecs(self) -> str:
        """RFC 6381 codecs string for the master playlist (High profile)."""
        major, _, minor = self.level.partition(".")
        return f"avc1.6400{int(major) * 10 + int(minor or 0):02x}"


LADDER = (
    Rung(360, 365, "3.0"),
    Rung(540, 2000, "3.1"),
    Rung(720, 3000, "3.1"),
    Rung(1080, 6000, "4.0"),
)


class TranscodeFailed(Exception):
    """The source cannot be made into a stream; the message says why, for the seller."""


@dataclass(frozen=True)
class Probe:
    width: int
    height: int
    duration: float
    has_audio: bool
    fps: float


@dataclass
class Rendition:
    height: int
    width: int
    bandwidth: int  # bits per second, as the master playlist says
    playlist: str  # relative to the output folder, e.g. "540p/index.m3u8"
    codecs: str
    name: str = ""  # the rung, e.g. "540p" (its short side)


@dataclass
class Transcoded:
    folder: Path
    probe: Probe
    renditions: list[Rendition] = field(default_factory=list)
    master: str = MASTER
    poster: str = POSTER
    key_file: str = KEY_FILE


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise TranscodeFailed(f"{name} is not installed (`make media` installs Debian's).")
    return found


def _ratio(value: str) -> float:
    top, _, bottom = value.partition("/")
    try:
        number = float(top) / float(bottom or 1)
    except (ValueError, ZeroDivisionError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def probe(path: Path) -> Probe:
    """The source's size, length, frame rate and whether it has sound (ffprobe)."""
    command = [tool("ffprobe"), "-v", "error", "-print_format", "json"]
    command += ["-show_format", "-show_streams", str(path)]
    try:
        done = subprocess.run(
            command, check=True, capture_output=True, timeout=PROBE_TIMEOUT_SECONDS
        )
        found = json.loads(done.stdout or b"{}")
    except subprocess.CalledProcessError:
        raise TranscodeFailed("This file is not a video we can read.") from None
    except subprocess.TimeoutExpired:
        raise TranscodeFailed("Reading this video took too long.") from None
    except ValueError:
        raise TranscodeFailed("This file is not a video we can read.") from None
    streams = found.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if video is None or not video.get("width") or not video.get("height"):
        raise TranscodeFailed("This file has no video picture.")
    duration = _ratio(str((found.get("format") or {}).get("duration") or "0"))
    duration = duration or _ratio(str(video.get("duration") or "0"))
    if duration <= 0:
        raise TranscodeFailed("This video's length cannot be read.")
    fps = _ratio(str(video.get("avg_frame_rate") or "0")) or _ratio(
        str(video.get("r_frame_rate") or "0")
    )
    width, height = int(video["width"]), int(video["height"])
    rotation = _rotation(video)
    if rotation in (90, 270):  # phone videos: stored landscape, shown portrait
        width, height = height, width
    return Probe(
        width=width,
        height=height,
        duration=duration,
        has_audio=any(s.get("codec_type") == "audio" for s in streams),
        fps=fps if 1 <= fps <= 120 else 30.0,
    )


def _rotation(video: dict[str, object]) -> int:
    tags = video.get("tags")
    rotate = tags.get("rotate") if isinstance(tags, dict) else None
    for side in video.get("side_data_list") or []:  # type: ignore[attr-defined]
        if isinstance(side, dict) and "rotation" in side:
            rotate = side["rotation"]
    try:
        return abs(int(float(str(rotate or 0)))) % 360
    except ValueError:
        return 0


def ladder_for(height: int) -> list[Rung]:
    """The rungs at or below the source's height, never upscaling; a source smaller than the
    lowest rung gets that rung at its own (even) height."""
    rungs = [rung for rung in LADDER if rung.height <= height]
    if not rungs:
        lowest = LADDER[0]
        rungs = [Rung(max(2, height - height % 2), lowest.video_kbps, lowest.level)]
    return rungs


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


ProgressCallback = Callable[[int], None]


def transcode(
    source: Path,
    folder: Path,
    *,
    on_progress: ProgressCallback | None = None,
    key_uri: str = "../key",
) -> Transcoded:
    """``source`` as an encrypted HLS ladder in ``folder`` (created): ``master.m3u8``,
    ``<height>p/index.m3u8`` with its ``.ts`` segments, ``poster.jpg`` and the segments'
    AES-128 key in ``enc.key``. ``key_uri`` is written into the playlists as the key's
    address, relative to a rendition playlist. ``on_progress`` gets whole percents."""
    found = probe(source)
    # The ladder counts the short side, so a portrait phone video is not starved.
    short = min(found.width, found.height)
    rungs = ladder_for(short)
    folder.mkdir(parents=True, exist_ok=True)
    key_path = folder / KEY_FILE
    key_path.write_bytes(secrets.token_bytes(16))
    renditions = [
        Rendition(
            height=_even(found.height * rung.height / short),
            width=_even(found.width * rung.height / short),
            bandwidth=(rung.video_kbps + (128 if found.has_audio else 0)) * 1000 * 11 // 10,
            playlist=f"{rung.name}/index.m3u8",
            name=rung.name,
            codecs=rung.codecs + (f",{AUDIO_CODEC}" if found.has_audio else ""),
        )
        for rung in rungs
    ]
    for rendition in renditions:
        (folder / rendition.name).mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="souk-hls-") as scratch:
        info = Path(scratch) / "key.info"
        # Key info file: the URI players fetch, the key's path, and (optional) IV, one a line.
        info.write_text(f"{key_uri}\n{key_path}\n{secrets.token_hex(16)}\n")
        _run_ffmpeg(source, folder, found, rungs, renditions, info, on_progress)
    _poster(source, folder / POSTER, found)
    _write_master(folder / MASTER, renditions)
    if on_progress is not None:
        on_progress(100)
    return Transcoded(folder=folder, probe=found, renditions=renditions)


def _run_ffmpeg(
    source: Path,
    folder: Path,
    found: Probe,
    rungs: list[Rung],
    renditions: list[Rendition],
    key_info: Path,
    on_progress: ProgressCallback | None,
) -> None:
    gop = max(1, round(found.fps * KEYFRAME_SECONDS))
    count = len(rungs)
    splits = "".join(f"[v{i}]" for i in range(count))
    graph = [f"[0:v:0]split={count}{splits}"]
    for index, rendition in enumerate(renditions):
        graph.append(
            f"[v{index}]scale={rendition.width}:{rendition.height}:flags=bicubic,"
            f"setsar=1,format=yuv420p[out{index}]"
        )
    command = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-v", "error", "-y"]
    command += ["-progress", "pipe:1", "-nostats", "-i", str(source)]
    command += ["-filter_complex", ";".join(graph)]
    for index, (rung, rendition) in enumerate(zip(rungs, renditions, strict=True)):
        command += ["-map", f"[out{index}]"]
        command += [f"-c:v:{index}", "libx264", f"-preset:v:{index}", "veryfast"]
        command += [f"-profile:v:{index}", "high", f"-level:v:{index}", rung.level]
        command += [f"-b:v:{index}", f"{rung.video_kbps}k"]
        command += [f"-maxrate:v:{index}", f"{rendition.bandwidth // 1000}k"]
        command += [f"-bufsize:v:{index}", f"{rung.video_kbps * 2}k"]
    if found.has_audio:
        for index in range(count):
            command += ["-map", "0:a:0", f"-c:a:{index}", "aac", f"-b:a:{index}", AUDIO_BITRATE]
        command += ["-ac", "2", "-ar", "48000"]
    # Keyframes every 2 s whatever the scene does, so 6 s segments are cut exactly.
    command += ["-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0"]
    command += ["-force_key_frames", f"expr:gte(t,n_forced*{KEYFRAME_SECONDS})"]
    command += ["-map_metadata", "-1", "-f", "hls", "-hls_time", str(SEGMENT_SECONDS)]
    command += ["-hls_playlist_type", "vod", "-hls_segment_type", "mpegts"]
    command += ["-hls_key_info_file", str(key_info), "-hls_flags", "independent_segments"]
    streams = [
        f"v:{i},a:{i},name:{r.name}" if found.has_audio else f"v:{i},name:{r.name}"
        for i, r in enumerate(renditions)
    ]
    command += ["-var_stream_map", " ".join(streams)]
    command += ["-hls_segment_filename", str(folder / "%v" / "seg_%04d.ts")]
    command += [str(folder / "%v" / "index.m3u8")]
    with (
        tempfile.TemporaryFile() as errors,
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors) as process,
    ):
        assert process.stdout is not None
        last = -1
        try:
            for raw in process.stdout:
                percent = _percent(raw, found.duration)
                if percent is not None and percent != last and on_progress is not None:
                    last = percent
                    on_progress(percent)
            code = process.wait(timeout=TRANSCODE_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            raise TranscodeFailed("Processing this video took too long.") from None
        if code != 0:
            errors.seek(0)
            detail = errors.read().decode("utf-8", "replace").strip().splitlines()
            raise TranscodeFailed(
                "This video could not be processed" + (f": {detail[-1][:200]}" if detail else ".")
            )


def _percent(raw: bytes, duration: float) -> int | None:
    """A whole percent (capped at 99: the poster and playlist are still to come) from one
    line of ffmpeg's ``-progress`` output, or None for the other lines."""
    key, _, value = raw.decode("ascii", "replace").strip().partition("=")
    if key != "out_time_us" or not value.strip().lstrip("-").isdigit():
        return None
    seconds = max(0, int(value)) / 1_000_000
    return min(99, int(seconds * 100 / duration)) if duration > 0 else None


def _poster(source: Path, target: Path, found: Probe) -> None:
    """One frame a third of the way in (at most 5 s: past the black of a fade-in), as a JPEG
    no taller than ``POSTER_MAX_HEIGHT`` px."""
    at = min(5.0, found.duration / 3)
    height = min(POSTER_MAX_HEIGHT, found.height)
    command = [tool("ffmpeg"), "-nostdin", "-v", "error", "-y", "-ss", f"{at:.2f}"]
    command += ["-i", str(source), "-frames:v", "1", "-vf", f"scale=-2:{height - height % 2}"]
    command += ["-q:v", "4", "-map_metadata", "-1", str(target)]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=POSTER_TIMEOUT_SECONDS)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        raise TranscodeFailed("No poster frame could be taken from this video.") from None
    if not target.exists() or target.stat().st_size == 0:
        raise TranscodeFailed("No poster frame could be taken from this video.")


def _write_master(path: Path, renditions: list[Rendition]) -> None:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rendition in renditions:
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={rendition.bandwidth},"
            f"RESOLUTION={rendition.width}x{rendition.height},"
            f'CODECS="{rendition.codecs}"'
        )
        lines.append(rendition.playlist)
    path.write_text("\n".join(lines) + "\n")
