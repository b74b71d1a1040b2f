"""Previews: made in the background from every new version by the real pypdfium2, Pillow and
ffmpeg from files made here, replacing the file's earlier previews but never the seller's own;
a file that cannot be previewed is logged and the upload stands; only the product's seller
replaces or removes one; a preview is public in its own marketplace and nowhere else."""

from __future__ import annotations

import io
import logging
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context
from PIL import Image

from modules.digital.errors import DigitalError
from modules.digital.models import DigitalProduct, FileVersion, Preview
from modules.digital.processing.previews import ffmpeg_path
from modules.digital.services import previews, versions
from modules.digital.tests.helpers import Shop, handbook_pdf
from tenants.schemas_sql import use_public_schema
from tests.fleet_helpers import host_of


def upload_now(
    shop: Shop, capture: Any, content: bytes, name: str = "handbook.pdf", file_id: int = 0
) -> FileVersion:
    """An upload whose after-commit jobs (previews, update notice) run before returning."""
    with schema_context(shop.tenant.schema_name), capture(execute=True):
        return versions.upload_version(
            file_id=file_id or shop.file.pk,
            seller_id=shop.seller.pk,
            name=name,
            stream=io.BytesIO(content),
            size=len(content),
        )


def photo(width: int = 1600, height: int = 1200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def tone(tmp_path: Path, seconds: int = 40) -> bytes:
    target = tmp_path / "tone.mp3"
    command = [ffmpeg_path(), "-nostdin", "-v", "error", "-y", "-f", "lavfi"]
    command += ["-i", f"sine=frequency=440:duration={seconds}", "-c:a", "libmp3lame"]
    subprocess.run([*command, str(target)], check=True, capture_output=True)
    return target.read_bytes()


def clip_source(tmp_path: Path, seconds: int = 35) -> bytes:
    target = tmp_path / "film.mp4"
    command = [ffmpeg_path(), "-nostdin", "-v", "error", "-y", "-f", "lavfi"]
    command += ["-i", f"sine=frequency=440:duration={seconds}", "-f", "lavfi"]
    command += ["-i", f"testsrc=size=1280x720:rate=10:duration={seconds}"]
    command += ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"]
    subprocess.run([*command, str(target)], check=True, capture_output=True)
    return target.read_bytes()


def previews_of(shop: Shop) -> list[Preview]:
    with schema_context(shop.tenant.schema_name):
        return list(Preview.objects.filter(product=shop.terms).select_related("source"))


def test_a_five_page_pdf_gives_its_first_three_pages_as_images(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    version = upload_now(shop, django_capture_on_commit_callbacks, handbook_pdf(5))

    made = previews_of(shop)
    assert [p.kind for p in made] == ["image", "image", "image"]
    assert all(p.source_id == version.pk and not p.is_custom for p in made)
    with schema_context(shop.tenant.schema_name):
        for preview in made:
            with preview.content.open("rb") as stored, Image.open(stored) as image:
                assert image.format == "WEBP"
                assert (image.width, image.height) == (preview.width, preview.height)
                assert image.width == 900


def test_an_image_gets_a_thumbnail_watermarked_when_the_product_asks(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    with schema_context(shop.tenant.schema_name):
        image_file = versions.add_file(product=shop.terms, title="Poster")
    upload_now(shop, django_capture_on_commit_callbacks, photo(), "poster.png", image_file.pk)
    (plain,) = previews_of(shop)
    assert (plain.kind, plain.content_type, plain.width, plain.height) == (
        "image",
        "image/webp",
        800,
        600,
    )

    with schema_context(shop.tenant.schema_name):
        DigitalProduct.objects.filter(pk=shop.terms.pk).update(watermark_images=True)
    upload_now(shop, django_capture_on_commit_callbacks, photo(), "poster.png", image_file.pk)
    (marked,) = previews_of(shop)
    assert marked.content_type == "image/png" and marked.pk != plain.pk
    with (
        schema_context(shop.tenant.schema_name),
        marked.content.open("rb") as stored,
        Image.open(stored) as image,
    ):
        colours = image.convert("RGB").getcolors(1_000_000) or []
    assert len(colours) > 1  # the marketplace's name is drawn over the flat blue picture


def test_an_audio_file_gets_a_thirty_second_clip(
    shop: Shop, django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    with schema_context(shop.tenant.schema_name):
        track = versions.add_file(product=shop.terms, title="Soundtrack")
    upload_now(shop, django_capture_on_commit_callbacks, tone(tmp_path), "track.mp3", track.pk)

    (clip,) = previews_of(shop)
    assert (clip.kind, clip.content_type) == ("audio", "audio/mpeg")
    with schema_context(shop.tenant.schema_name), clip.content.open("rb") as stored:
        (tmp_path / "clip.mp3").write_bytes(stored.read())
    probe = [ffmpeg_path().replace("ffmpeg", "ffprobe"), "-v", "error", "-show_entries"]
    probe += ["format=duration", "-of", "csv=p=0", str(tmp_path / "clip.mp3")]
    seconds = float(subprocess.run(probe, check=True, capture_output=True, text=True).stdout)
    assert 29 <= seconds <= 31


def test_a_video_gets_a_clip(
    shop: Shop, django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    with schema_context(shop.tenant.schema_name):
        film = versions.add_file(product=shop.terms, title="Film")
    source = clip_source(tmp_path)
    upload_now(shop, django_capture_on_commit_callbacks, source, "film.mp4", film.pk)

    (clip,) = previews_of(shop)
    assert (clip.kind, clip.content_type) == ("video", "video/mp4")


def test_a_new_version_replaces_the_old_previews_but_not_the_sellers_own(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    upload_now(shop, django_capture_on_commit_callbacks, handbook_pdf(5))
    first, second, third = previews_of(shop)
    with schema_context(shop.tenant.schema_name):
        custom = previews.replace_preview(
            seller_id=shop.seller.pk,
            preview_id=first.pk,
            name="cover.png",
            stream=io.BytesIO(photo(300, 400)),
            size=len(photo(300, 400)),
        )
    assert (
        custom.is_custom
        and custom.key != first.key
        and (custom.width, custom.height)
        == (
            300,
            400,
        )
    )

    newer = upload_now(shop, django_capture_on_commit_callbacks, handbook_pdf(2))

    after = previews_of(shop)
    assert custom.pk in [p.pk for p in after]
    generated = [p for p in after if not p.is_custom]
    assert len(generated) == 2 and all(p.source_id == newer.pk for p in generated)
    assert not {second.pk, third.pk} & {p.pk for p in after}
    with schema_context(shop.tenant.schema_name):
        assert not second.content.storage.exists(second.content.name or "")
        # The older version's job arriving late changes nothing.
        assert previews.make_previews(version_id=newer.pk - 1) == []
    assert len(previews_of(shop)) == 3


def test_a_broken_file_is_logged_and_the_upload_stands(
    shop: Shop, django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    broken = b"%PDF-1.7\n" + b"\x00 not really a pdf " * 50
    with caplog.at_level(logging.WARNING, logger="modules.digital.services.previews"):
        version = upload_now(shop, django_capture_on_commit_callbacks, broken)

    with schema_context(shop.tenant.schema_name):
        stored = FileVersion.objects.get(pk=version.pk, number=1)
    assert previews_of(shop) == []
    assert "no preview of version 1" in caplog.text
    # The seller is told too, beside the version, in a line they can read.
    assert stored.preview_status == "failed"
    assert stored.preview_error.startswith("The PDF could not be read")


def test_only_the_products_seller_replaces_or_removes_a_preview(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    upload_now(shop, django_capture_on_commit_callbacks, handbook_pdf(3))
    first = previews_of(shop)[0]
    content = photo(200, 200)
    with schema_context(shop.tenant.schema_name):
        with pytest.raises(DigitalError) as refused:
            previews.replace_preview(
                seller_id=shop.other_seller.pk,
                preview_id=first.pk,
                name="mine.png",
                stream=io.BytesIO(content),
                size=len(content),
            )
        assert refused.value.code == "digital_not_found"
        with pytest.raises(DigitalError):
            previews.remove_preview(seller_id=shop.other_seller.pk, preview_id=first.pk)
        with pytest.raises(DigitalError) as wrong_type:
            previews.replace_preview(
                seller_id=shop.seller.pk,
                preview_id=first.pk,
                name="book.pdf",
                stream=io.BytesIO(handbook_pdf(1)),
                size=len(handbook_pdf(1)),
            )
        assert wrong_type.value.details == {"field": "file"}
    assert len(previews_of(shop)) == 3

    with schema_context(shop.tenant.schema_name):
        previews.remove_preview(seller_id=shop.seller.pk, preview_id=first.pk)
    assert first.pk not in [p.pk for p in previews_of(shop)]


def test_a_preview_is_public_in_its_marketplace_only(
    shop: Shop, make_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    upload_now(shop, django_capture_on_commit_callbacks, handbook_pdf(1))
    (preview,) = previews_of(shop)

    response = Client(HTTP_HOST=host_of(shop.tenant)).get(f"/digital/previews/{preview.key}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert "max-age=31536000" in response["Cache-Control"]
    assert response.getvalue()[:4] == b"RIFF"

    use_public_schema()
    other = Shop(make_tenant, "other-press")
    elsewhere = Client(HTTP_HOST=host_of(other.tenant))
    assert elsewhere.get(f"/digital/previews/{preview.key}/").status_code == 404
    missing = Client(HTTP_HOST=host_of(shop.tenant)).get("/digital/previews/nope/")
    assert missing.status_code == 404
