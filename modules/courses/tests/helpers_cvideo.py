"""The video pipeline's test marketplace and media: a seller with a course of two video
lessons (one a free preview), a rival seller, a buyer who pays for the course the one real
way (cart, checkout, fulfilment after commit) and can be refunded, a stranger; short test
videos made by ffmpeg's test sources; and one transcode per test module shared by its tests
(``ladder`` fixtures), published to a lesson through the same service the job uses."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.commerce.models import Order
from core.commerce.services.cart import add_product, get_or_create_cart
from core.commerce.services.checkout import CheckoutInput, checkout_cart
from core.commerce.services.refunds import refund_order
from core.events import dispatch_pending
from core.payments.providers.sandbox import SUCCESS_CARD
from modules.courses.models import Course, Lesson, LessonKind, Section, Video, VideoStatus
from modules.courses.processing.transcode import Transcoded
from modules.courses.services.video import hls_prefix_of, publish_transcoded, store_output
from tests.accounts_helpers import PASSWORD, make_user
from tests.catalog_helpers import make_product, make_seller
from tests.fleet_helpers import host_of

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SELLER_API = "/api/v1/courses/seller"
STUDIO = "/studio/courses"


def make_video(path: Path, *, seconds: int, width: int, height: int, rate: int = 25) -> Path:
    """A test card with a tone (ffmpeg's testsrc and sine), H.264/AAC in MP4 with the index
    at the end (as cameras write it)."""
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    command += ["-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate={rate}:d={seconds}"]
    command += ["-f", "lavfi", "-i", f"sine=frequency=440:d={seconds}"]
    command += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    command += ["-c:a", "aac", "-shortest", str(path)]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return path


def corrupt_video(source: Path) -> bytes:
    """The head of a real MP4 whose index (at the end) never arrived: it says it is a video
    but nothing can read it."""
    return source.read_bytes()[:4096]


def ffprobe_json(path: Path | str, *args: str) -> Any:
    import json

    command = ["ffprobe", "-v", "error", "-allowed_extensions", "ALL", "-of", "json", *args]
    done = subprocess.run([*command, str(path)], check=True, capture_output=True, timeout=60)
    return json.loads(done.stdout)


def serve_key_beside(folder: Path) -> None:
    """What Souk's key endpoint does over HTTP (``../key`` from a rendition playlist), done
    on disk, so ffprobe can decrypt the ladder from its folder."""
    shutil.copyfile(folder / "enc.key", folder / "key")


class VideoSchool:
    def __init__(self, make_tenant: Any, slug: str) -> None:
        self.slug = slug
        self.tenant = make_tenant(slug, modules=["courses"]).tenant
        self.seller = make_seller(self.tenant, f"{slug}-teacher", product_types=["course"])
        self.rival = make_seller(self.tenant, f"{slug}-rival", product_types=["course"])
        self.product = make_product(
            self.tenant, self.seller, "Film Editing Basics", price=3900, product_type="course"
        )
        self.buyer = make_user(self.tenant, f"amara@{slug}.example", full_name="Amara Okafor")
        self.stranger = make_user(self.tenant, f"ben@{slug}.example", full_name="Ben Other")
        with schema_context(self.tenant.schema_name):
            self.owner = User.objects.get(pk=self.seller.owner_id)
            self.rival_owner = User.objects.get(pk=self.rival.owner_id)
            self.course = Course.objects.create(product=self.product)
            section = Section.objects.create(course=self.course, title="Cutting", position=0)
            self.lesson = Lesson.objects.create(
                course=self.course,
                section=section,
                title="Your first cut",
                kind=LessonKind.VIDEO,
                position=0,
            )
            self.preview = Lesson.objects.create(
                course=self.course,
                section=section,
                title="Welcome",
                kind=LessonKind.VIDEO,
                position=1,
                is_preview=True,
            )
            self.reading = Lesson.objects.create(
                course=self.course,
                section=section,
                title="Glossary",
                kind=LessonKind.TEXT,
                position=2,
                duration_seconds=120,
            )

    def buy(self, buyer: User, capture: Any) -> Order:
        with schema_context(self.tenant.schema_name):
            cart = get_or_create_cart(buyer=buyer, token=None)
            add_product(cart=cart, product_id=self.product.pk)
            with capture(execute=True):
                order, _, _ = checkout_cart(
                    buyer=buyer,
                    cart=cart,
                    details=CheckoutInput(country="DE"),
                    idempotency_key=uuid.uuid4().hex,
                    payment_method=SUCCESS_CARD,
                )
            dispatch_pending()
            return Order.objects.get(pk=order.pk)

    def refund(self, order_id: int, capture: Any) -> None:
        with schema_context(self.tenant.schema_name):
            with capture(execute=True):
                refund_order(
                    order_id=order_id,
                    lines=None,
                    reason="Refunded",
                    idempotency_key=f"refund-{order_id}",
                    actor=None,
                    actor_label="test",
                )
            dispatch_pending()

    def client(self, user: User | None = None) -> Client:
        """A browser, signed in through the marketplace's login page when ``user`` is given."""
        client = Client(HTTP_HOST=host_of(self.tenant))
        if user is not None:
            response = client.post(
                "/accounts/login/", {"username": user.email, "password": PASSWORD}
            )
            assert response.status_code == 302
        return client

    def publish(self, lesson: Lesson, ladder: Transcoded, source: Path) -> Video:
        """A ready current video for ``lesson`` from a transcode made earlier: the source and
        the ladder stored under the tenant's prefix and published by the job's own service."""
        with schema_context(self.tenant.schema_name):
            video = Video(lesson=lesson, original_name=source.name, size=source.stat().st_size)
            video.source.save("source", ContentFile(source.read_bytes()), save=False)
            video.status, video.attempts = VideoStatus.PROCESSING, 1
            video.save()
            prefix = hls_prefix_of(video)
            store_output(video.source.storage, ladder.folder, prefix)
            published = publish_transcoded(video_id=video.pk, transcoded=ladder, hls_prefix=prefix)
            assert published is not None
            return published


def playback_paths(video: Video) -> dict[str, str]:
    """The five addresses a player fetches for ``video``."""
    base = f"/courses/videos/{video.key}"
    first = str(video.renditions[0]["playlist"]).split("/")[0]
    return {
        "master": f"{base}/master.m3u8",
        "rendition": f"{base}/{first}/index.m3u8",
        "segment": f"{base}/{first}/seg_0000.ts",
        "key": f"{base}/key",
        "poster": f"{base}/poster.jpg",
    }
