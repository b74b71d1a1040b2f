"""Byte Bazaar's course (``modules.courses.demo.populate``, the manifest's ``demo`` hook) as a
demo visitor finds it: "Practical Git in an afternoon" published in the catalogue with its
curriculum (a free preview, a video that is an HLS ladder ready to play, text lessons, a
quiz); demo buyers enrolled through paid orders, Amara finished with a passed quiz and a
certificate, the others part way. Another marketplace is left alone and a second run
changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape
from django_tenants.utils import schema_context

from core.catalog.models import Product
from core.commerce.models import RecurringPrice
from core.subscriptions.models import Subscription, SubscriptionStatus
from modules.courses import demo
from modules.courses.models import (
    Announcement,
    Attempt,
    Certificate,
    Course,
    CoursePass,
    Enrolment,
    Lesson,
    LessonKind,
    LessonProgress,
    LessonQuestion,
    Question,
    Video,
    VideoStatus,
)
from tests.fleet_helpers import host_of

PASSWORD = "pw-demo-12345"
AMARA = "amara.okafor@demo.localhost"


@pytest.mark.slow  # about 15 s: a real transcode, four checkouts, a certificate PDF
def test_byte_bazaar_teaches_a_git_course_bought_studied_and_certified(
    make_tenant: Any,
) -> None:
    bazaar = make_tenant("byte-bazaar", name="Byte Bazaar", modules=["courses"]).tenant
    other = make_tenant("course-corner", modules=["courses"]).tenant
    with schema_context(other.schema_name):
        assert demo.populate("course-corner", password=PASSWORD, seed=5) is False
        assert not Product.objects.exists() and not Course.objects.exists()

    with schema_context(bazaar.schema_name):
        assert demo.populate("byte-bazaar", password=PASSWORD, seed=5) is True
        assert demo.populate("byte-bazaar", password=PASSWORD, seed=5) is False  # sold already

        product = Product.objects.get(product_type="course")
        assert (product.name, product.status, product.seller.slug) == (
            demo.TITLE,
            "published",
            "nimbus-labs",
        )
        assert product.category is not None and product.category.name == "Courses"
        course = Course.objects.get(product=product)
        lessons = list(
            Lesson.objects.filter(course=course).order_by("section__position", "position")
        )
        assert [lesson.kind for lesson in lessons] == [
            LessonKind.TEXT,
            LessonKind.VIDEO,
            LessonKind.TEXT,
            LessonKind.TEXT,
            LessonKind.QUIZ,
        ]
        assert [lesson.is_preview for lesson in lessons] == [True, False, False, False, False]
        assert "git add -p" in lessons[2].body and "git reflog" in lessons[3].body

        # The video is a real ladder, ready, published as the lesson's current video.
        clip = Video.objects.get(lesson=lessons[1])
        assert clip.status == VideoStatus.READY and clip.is_current
        assert (clip.width, clip.height) == (640, 360)
        assert clip.duration_seconds is not None
        assert abs(clip.duration_seconds - demo.VIDEO_SECONDS) < 1.5
        assert clip.renditions and all(r["height"] <= 360 for r in clip.renditions)
        assert clip.source.storage.exists(f"{clip.hls_prefix}/master.m3u8")

        # The quiz: five questions of four kinds, 60% to pass.
        quiz = lessons[4].quiz
        assert quiz.pass_percent == 60
        kinds = list(Question.objects.filter(quiz=quiz).values_list("kind", flat=True))
        assert len(kinds) == 5 and len(set(kinds)) == 5

        # Buyers were enrolled by paid orders; Amara finished and is certified.
        enrolments = {
            e.buyer.email: e
            for e in Enrolment.objects.filter(course=course, via_pass__isnull=True).select_related(
                "buyer"
            )
        }
        assert len(enrolments) == 4
        assert all(e.order_line is not None and e.revoked_at is None for e in enrolments.values())
        amara = enrolments[AMARA]
        assert amara.progress_percent == 100 and amara.completed_at is not None
        passed = Attempt.objects.get(enrolment=amara)
        assert passed.passed and passed.score_percent == 80
        certificate = Certificate.objects.get(enrolment=amara)
        assert certificate.student_name == "Amara Okafor" and certificate.pdf
        # Dated when she finished, not when the demo was loaded.
        assert abs(certificate.issued_at - amara.completed_at) < timedelta(hours=1)
        # Her classmates talk under the video; the instructor answered and announced.
        question = LessonQuestion.objects.get(lesson=lessons[1])
        assert question.author.email == "luca.fernandez@demo.localhost"
        assert question.replies.get().body.startswith("Good catch")
        assert Announcement.objects.filter(course=amara.course).count() == 1
        watched = LessonProgress.objects.get(enrolment=amara, lesson=lessons[1])
        assert watched.watched == [0, demo.VIDEO_SECONDS] and watched.completed_at is not None
        luca = enrolments["luca.fernandez@demo.localhost"]
        assert 0 < luca.progress_percent < 100 and luca.completed_at is None
        part = LessonProgress.objects.get(enrolment=luca, lesson=lessons[1])
        assert 0 < part.watched_seconds < demo.VIDEO_SECONDS and part.completed_at is None
        assert not Certificate.objects.exclude(enrolment=amara).exists()
        assert enrolments["tom.becker@demo.localhost"].progress_percent == 0

        # The all-access membership: a monthly plan; Noor subscribed and is on the course.
        membership = Product.objects.get(product_type="coursepass")
        assert (membership.name, membership.status) == (demo.MEMBERSHIP, "published")
        assert CoursePass.objects.get(product=membership).includes_all is True
        plan = RecurringPrice.objects.get(product=membership, is_active=True)
        assert (plan.interval, plan.amount, plan.currency) == ("month", 900, "USD")
        subscription = Subscription.objects.get(product=membership)
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert subscription.buyer.full_name == "Noor Haddad"
        member = Enrolment.objects.get(course=course, via_pass__product=membership)
        assert member.buyer_id == subscription.buyer_id and member.revoked_at is None
        assert member.order_line_id == subscription.first_order_line_id

    # A visitor sees the course, its curriculum and the preview; the certificate verifies.
    visitor = Client(HTTP_HOST=host_of(bazaar))
    page = visitor.get(f"/p/{product.slug}/")
    assert page.status_code == 200
    html = page.content.decode()
    for text in (demo.TITLE, "Getting started", "Everyday Git", "Undoing mistakes", "Git check"):
        assert escape(text) in html, text
    outline = visitor.get(f"/api/v1/courses/{course.pk}/curriculum").json()
    assert [section["title"] for section in outline["sections"]] == [
        "Getting started",
        "Everyday Git",
        "Check yourself",
    ]
    verified = visitor.get(f"/certificates/{certificate.code}/")
    assert verified.status_code == 200 and "Amara Okafor" in verified.content.decode()

    # Nothing of Byte Bazaar's course shows in the other marketplace.
    with schema_context(other.schema_name):
        assert not Course.objects.exists() and not Enrolment.objects.exists()
    stranger = Client(HTTP_HOST=host_of(other))
    assert stranger.get(f"/p/{product.slug}/").status_code == 404
    assert stranger.get(f"/certificates/{certificate.code}/").status_code == 404
