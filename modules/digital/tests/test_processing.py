"""The digital goods' file processing, on real files: PDFs stamped with pikepdf and read back
with pypdfium2 (the text a reader sees) and pikepdf (what the file keeps), previews rendered
by pypdfium2 and Pillow, clips cut by Debian's ffmpeg from media ffmpeg generates."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pikepdf
import pypdf
import pypdfium2
import pytest
from PIL import Image

from modules.digital.processing.previews import (
    CLIP_MAX_WIDTH,
    PreviewFailed,
    ffmpeg_path,
    image_thumbnail,
    media_clip,
    pdf_pages,
)
from modules.digital.processing.stamping import (
    Corner,
    find_fingerprint,
    stamp_pdf,
    stamp_text,
)

FINGERPRINT = "fp_7Kq2mZx9Lr4T"


def handbook(*, rotations: tuple[int, ...] = (0, 90, 180, 270)) -> bytes:
    """A four-page PDF with text on each page, a title, an author and an outline."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                           BaseFont=pikepdf.Name.Helvetica)
    )  # fmt: skip
    for number, rotation in enumerate(rotations, start=1):
        pdf.add_blank_page(page_size=(612, 792))
        page = pdf.pages[-1]
        page.Rotate = rotation
        page.add_resource(font, pikepdf.Name.Font, prefix="F")
        name = next(iter(page.resources.Font.keys()))
        page.contents_add(
            pdf.make_stream(f"BT {name} 24 Tf 72 700 Td (Chapter {number}) Tj ET".encode())
        )
    pdf.docinfo["/Title"] = "The Freelancer's Handbook"
    pdf.docinfo["/Author"] = "Ada Lindqvist"
    with pdf.open_outline() as outline:
        for index in range(len(rotations)):
            outline.root.append(pikepdf.OutlineItem(f"Chapter {index + 1}", index))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def page_texts(content: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(content)
    texts = [document[index].get_textpage().get_text_range() for index in range(len(document))]
    document.close()
    return texts


def test_every_page_carries_the_buyer_and_the_file_keeps_its_outline_and_metadata() -> None:
    text = stamp_text(name="Amara Okafor", email="amara@example.com", order_number="SO-1042")
    stamped = stamp_pdf(io.BytesIO(handbook()), text=text, fingerprint=FINGERPRINT)

    assert stamped.content is not None and stamped.pages == 4 and stamped.reason == ""
    texts = page_texts(stamped.content)
    assert len(texts) == 4
    for number, page_text in enumerate(texts, start=1):
        assert f"Chapter {number}" in page_text  # the page's own text is still there
        assert "Licensed to Amara Okafor <amara@example.com> order SO-1042" in page_text
    with pikepdf.open(io.BytesIO(stamped.content)) as pdf:
        assert str(pdf.docinfo["/Title"]) == "The Freelancer's Handbook"
        assert str(pdf.docinfo["/Author"]) == "Ada Lindqvist"
        with pdf.open_outline() as outline:
            assert [item.title for item in outline.root] == [f"Chapter {n}" for n in range(1, 5)]


def rendered_corner_ink(content: bytes, page_index: int) -> dict[str, int]:
    """Dark pixels in each quadrant of the page as displayed (after /Rotate)."""
    document = pypdfium2.PdfDocument(content)
    image = document[page_index].render(scale=1).to_pil().convert("L")
    document.close()
    width, height = image.size
    dark = image.point(lambda value: 255 if value < 200 else 0)
    ink = {}
    for vertical, top in (("top", 0), ("bottom", height // 2)):
        for horizontal, left in (("left", 0), ("right", width // 2)):
            quadrant = dark.crop((left, top, left + width // 2, top + height // 2))
            ink[f"{vertical}-{horizontal}"] = quadrant.histogram()[255]
    return ink


@pytest.mark.parametrize("page_index", [1, 2, 3])  # rotated 90, 180 and 270 degrees
def test_the_stamp_sits_in_the_chosen_corner_of_a_rotated_page_as_displayed(
    page_index: int,
) -> None:
    blank = handbook(rotations=(0, 90, 180, 270))
    before = rendered_corner_ink(blank, page_index)
    stamped = stamp_pdf(
        io.BytesIO(blank),
        text="Licensed to Amara Okafor <amara@example.com> order SO-1042",
        fingerprint=FINGERPRINT,
        corner=Corner.BOTTOM_RIGHT,
    )
    assert stamped.content is not None
    after = rendered_corner_ink(stamped.content, page_index)
    added = {corner: after[corner] - before[corner] for corner in after}

    assert added["bottom-right"] > 100
    assert added["top-left"] == added["top-right"] == 0


def test_the_fingerprint_is_found_again_even_with_the_metadata_stripped() -> None:
    stamped = stamp_pdf(io.BytesIO(handbook()), text="Licensed", fingerprint=FINGERPRINT)
    assert stamped.content is not None
    assert find_fingerprint(io.BytesIO(stamped.content)) == FINGERPRINT

    with pikepdf.open(io.BytesIO(stamped.content)) as pdf:
        del pdf.docinfo["/SoukFingerprint"]
        del pdf.Root.Metadata
        only_pages = io.BytesIO()
        pdf.save(only_pages)
    assert find_fingerprint(io.BytesIO(only_pages.getvalue())) == FINGERPRINT

    assert find_fingerprint(io.BytesIO(handbook())) is None  # never stamped
    assert find_fingerprint(io.BytesIO(b"not a pdf")) is None


def test_an_encrypted_pdf_is_not_stamped_and_says_why() -> None:
    with pikepdf.open(io.BytesIO(handbook())) as pdf:
        locked = io.BytesIO()
        pdf.save(locked, encryption=pikepdf.Encryption(owner="owner", user="reader"))

    stamped = stamp_pdf(io.BytesIO(locked.getvalue()), text="Licensed", fingerprint=FINGERPRINT)

    assert stamped.content is None
    assert "encrypted" in stamped.reason


def test_a_protected_copy_opens_without_a_password_prints_and_keeps_stamp_and_fingerprint() -> None:
    text = stamp_text(name="Amara Okafor", email="amara@example.com", order_number="SO-1042")

    stamped = stamp_pdf(io.BytesIO(handbook()), text=text, fingerprint=FINGERPRINT, protect=True)

    assert stamped.content is not None and stamped.pages == 4
    with pikepdf.open(io.BytesIO(stamped.content)) as pdf:
        assert pdf.is_encrypted and pdf.encryption.R == 6 and pdf.encryption.bits == 256
        assert pdf.allow.print_highres and not pdf.allow.modify_other and not pdf.allow.extract
        assert str(pdf.docinfo["/Title"]) == "The Freelancer's Handbook"
    reader = pypdf.PdfReader(io.BytesIO(stamped.content))
    reader.decrypt("")
    for number, page in enumerate(reader.pages, start=1):
        assert f"Chapter {number}" in page.extract_text()
        assert text in page.extract_text()
    assert all(text in page_text for page_text in page_texts(stamped.content))
    assert find_fingerprint(io.BytesIO(stamped.content)) == FINGERPRINT
    # Each copy is encrypted under a key of its own (the owner password is random, kept nowhere).
    again = stamp_pdf(io.BytesIO(handbook()), text=text, fingerprint=FINGERPRINT, protect=True)
    assert again.content is not None
    with (
        pikepdf.open(io.BytesIO(stamped.content)) as one,
        pikepdf.open(io.BytesIO(again.content)) as other,
    ):
        assert one.encryption.encryption_key != other.encryption.encryption_key


def test_a_fingerprint_must_be_a_plain_token() -> None:
    with pytest.raises(ValueError):
        stamp_pdf(io.BytesIO(handbook()), text="Licensed", fingerprint="a b)")


def test_pdf_previews_are_the_first_pages_only_as_images() -> None:
    previews = pdf_pages(handbook(rotations=(0, 0, 0, 0, 0)), pages=3)

    assert len(previews) == 3
    for preview in previews:
        assert preview.content_type == "image/webp"
        with Image.open(io.BytesIO(preview.content)) as image:
            assert image.format == "WEBP"
            assert image.size == (preview.width, preview.height)
            assert 880 <= image.width <= 920
    with pytest.raises(PreviewFailed):
        pdf_pages(b"%PDF-1.7 broken")


def test_image_thumbnails_are_upright_and_scaled_down() -> None:
    photo = Image.new("RGB", (3000, 2000), (200, 40, 40))
    exif = photo.getexif()
    exif[0x0112] = 6  # taken with the camera turned: shown rotated 90 degrees
    raw = io.BytesIO()
    photo.save(raw, format="JPEG", exif=exif)
    raw.seek(0)

    thumbnail = image_thumbnail(raw)

    assert thumbnail.content_type == "image/webp"
    assert (thumbnail.width, thumbnail.height) == (533, 800)
    with pytest.raises(PreviewFailed):
        image_thumbnail(io.BytesIO(b"GIF89a broken"))


def make_media(folder: Path, *, video: bool, seconds: int) -> Path:
    target = folder / ("source.mkv" if video else "source.wav")
    command = [ffmpeg_path(), "-nostdin", "-v", "error", "-y"]
    command += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    if video:
        command += ["-f", "lavfi", "-i", f"testsrc=size=1280x720:rate=25:duration={seconds}"]
        command += ["-c:v", "libx264", "-preset", "ultrafast"]
    command += [str(target)]
    subprocess.run(command, check=True, capture_output=True)
    return target


def probe(path: Path) -> dict[str, str]:
    result = subprocess.run(
        [ffmpeg_path().replace("ffmpeg", "ffprobe"), "-v", "error", "-show_entries",
         "format=duration:stream=codec_name,width", "-of", "default=noprint_wrappers=1",
         str(path)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    found: dict[str, str] = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition("=")
        found.setdefault(key, value)
        if key == "codec_name":
            found[f"codec_{value}"] = "yes"
    return found


def test_an_audio_preview_is_a_short_mp3(tmp_path: Path) -> None:
    source = make_media(tmp_path, video=False, seconds=45)

    clip = media_clip(source, is_video=False, seconds=10)

    assert clip.content_type == "audio/mpeg"
    (tmp_path / "clip.mp3").write_bytes(clip.content)
    facts = probe(tmp_path / "clip.mp3")
    assert facts.get("codec_mp3") == "yes"
    assert 9.5 <= float(facts["duration"]) <= 10.6


def test_a_video_preview_is_short_scaled_down_and_playable_mp4(tmp_path: Path) -> None:
    source = make_media(tmp_path, video=True, seconds=12)

    clip = media_clip(source, is_video=True, seconds=5)

    assert clip.content_type == "video/mp4"
    (tmp_path / "clip.mp4").write_bytes(clip.content)
    facts = probe(tmp_path / "clip.mp4")
    assert facts.get("codec_h264") == "yes" and facts.get("codec_aac") == "yes"
    assert int(facts["width"]) == CLIP_MAX_WIDTH
    assert 4.5 <= float(facts["duration"]) <= 5.6
    with pytest.raises(PreviewFailed):
        media_clip(tmp_path / "missing.mp4", is_video=True)
