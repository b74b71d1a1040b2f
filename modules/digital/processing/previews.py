"""Public previews of a digital product's files, made in a background job on upload: the
first pages of a PDF as images (pypdfium2), a thumbnail of an image (Pillow), a short clip of
audio or video (Debian's ffmpeg). A preview is never the whole file: pages and clip length
are capped, and images are scaled down."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pypdfium2
from PIL import Image, ImageOps

PDF_PREVIEW_PAGES = 3
PDF_PREVIEW_WIDTH = 900  # px
THUMBNAIL_SIDE = 800  # px, the longer side
CLIP_SECONDS = 30
CLIP_FADE_SECONDS = 2
CLIP_MAX_WIDTH = 640  # px; never upscaled
FFMPEG_TIMEOUT_SECONDS = 120


class PreviewFailed(Exception):
    """The file could not be previewed; the message says why, for the seller."""


@dataclass(frozen=True)
class PreviewImage:
    content: bytes
    content_type: str
    width: int
    height: int


def pdf_pages(source: bytes, *, pages: int = PDF_PREVIEW_PAGES) -> list[PreviewImage]:
    """The first ``pages`` pages as WebP images ``PDF_PREVIEW_WIDTH`` px wide."""
    try:
        document = pypdfium2.PdfDocument(source)
    except pypdfium2.PdfiumError as error:
        raise PreviewFailed(f"The PDF could not be read ({error}).") from None
    try:
        previews = []
        for index in range(min(pages, len(document))):
            page = document[index]
            width_points = page.get_width() or 1.0
            bitmap = page.render(scale=PDF_PREVIEW_WIDTH / width_points)
            previews.append(_webp(bitmap.to_pil()))
            page.close()
        return previews
    finally:
        document.close()


def image_thumbnail(source: IO[bytes]) -> PreviewImage:
    """The image upright (EXIF orientation), at most ``THUMBNAIL_SIDE`` px, as WebP."""
    try:
        with Image.open(source) as opened:
            opened.seek(0)
            image = ImageOps.exif_transpose(opened)
            image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            return _webp(image)
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise PreviewFailed(f"The image could not be read ({error}).") from None


def _webp(image: Image.Image) -> PreviewImage:
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=82, method=4)
    return PreviewImage(out.getvalue(), "image/webp", image.width, image.height)


def ffmpeg_path() -> str:
    found = shutil.which("ffmpeg")
    if found is None:
        raise PreviewFailed("ffmpeg is not installed (`make media` installs Debian's).")
    return found


@dataclass(frozen=True)
class Clip:
    content: bytes
    content_type: str
    seconds: int


def media_clip(path: Path, *, is_video: bool, seconds: int = CLIP_SECONDS) -> Clip:
    """The first ``seconds`` of an audio or video file, faded out: MP3 for audio; H.264/AAC
    MP4 at most ``CLIP_MAX_WIDTH`` px wide (never upscaled) for video, playable while it
    downloads (faststart)."""
    fade_start = max(0, seconds - CLIP_FADE_SECONDS)
    audio_filter = f"afade=t=out:st={fade_start}:d={CLIP_FADE_SECONDS}"
    with tempfile.TemporaryDirectory(prefix="souk-clip-") as folder:
        target = Path(folder) / ("clip.mp4" if is_video else "clip.mp3")
        command = [ffmpeg_path(), "-nostdin", "-v", "error", "-y", "-t", str(seconds)]
        command += ["-i", str(path), "-map_metadata", "-1"]
        if is_video:
            video_filter = (
                f"scale='min({CLIP_MAX_WIDTH},iw)':-2,"
                f"fade=t=out:st={fade_start}:d={CLIP_FADE_SECONDS}"
            )
            command += ["-vf", video_filter, "-af", audio_filter]
            command += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "26"]
            command += ["-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k"]
            command += ["-movflags", "+faststart", str(target)]
        else:
            command += ["-vn", "-af", audio_filter, "-c:a", "libmp3lame", "-b:a", "128k"]
            command += [str(target)]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=FFMPEG_TIMEOUT_SECONDS)
        except subprocess.CalledProcessError as error:
            detail = error.stderr.decode("utf-8", "replace").strip().splitlines()
            raise PreviewFailed(
                "The file could not be cut into a preview" + (f": {detail[-1]}" if detail else ".")
            ) from None
        except subprocess.TimeoutExpired:
            raise PreviewFailed("Cutting the preview took too long.") from None
        content = target.read_bytes()
    if not content:
        raise PreviewFailed("The file has no audio or video to preview.")
    return Clip(content, "video/mp4" if is_video else "audio/mpeg", seconds)
