"""The seller's students and announcements: an announcement reaches every live enrolment
(not a refunded one, not another course's students) in one go; students read it on the
course's announcements page. The student list shows name, enrolled date, progress, last
activity, completion and certificate, with the progress chart and a CSV export. Another
seller's course is 404 everywhere; another marketplace sees nothing."""

from __future__ import annotations

import csv
import io
from typing import Any

from django_tenants.utils import schema_context

from core.notifications.models import Notification
from modules.courses.models import Announcement, Enrolment
from modules.courses.services import certificates, engagement
from modules.courses.tests.helpers_ccert import T0, Academy, academy  # noqa: F401
from tenants.schemas_sql import use_public_schema
from tests.accounts_helpers import make_user


def test_an_announcement_reaches_live_enrolments_only(
    academy: Academy,  # noqa: F811
    django_assert_max_num_queries: Any,
) -> None:
    kept = academy.enrol(academy.buyer)
    refunded = academy.enrol(academy.other_buyer)
    academy.refund(refunded)
    third = make_user(academy.tenant, "cy@paint-school.example", full_name="Cy Twombly")
    academy.enrol(third)
    rival_student = make_user(academy.tenant, "di@paint-school.example")
    academy.enrol(rival_student, academy.rival_product)

    with schema_context(academy.tenant.schema_name):
        with django_assert_max_num_queries(12):
            _, told = engagement.announce(
                seller_id=academy.seller.pk,
                author_id=academy.seller.owner_id,
                course_id=academy.course.pk,
                title="Live session Friday",
                body="Bring your palettes.",
            )
        assert told == 2
        reached = set(
            Notification.objects.filter(type_key="courses.announcement").values_list(
                "user_id", flat=True
            )
        )
        assert reached == {kept.buyer_id, third.pk}

    # The page form does the same and says how many were told.
    seller = academy.client(academy.seller_owner())
    sent = seller.post(
        f"/studio/courses/students/{academy.course.pk}/announce/",
        {"title": "Homework", "body": "Paint a sky."},
        follow=True,
    )
    assert sent.status_code == 200 and "Announcement sent to 2 students." in sent.content.decode()

    student_page = academy.client(academy.buyer).get(f"/courses/announcements/{academy.course.pk}/")
    assert student_page.status_code == 200
    assert "Live session Friday" in student_page.content.decode()
    assert (
        academy.client(academy.other_buyer)
        .get(f"/courses/announcements/{academy.course.pk}/")
        .status_code
        == 404
    )  # refunded
    api = academy.client(academy.buyer).get(f"/api/v1/courses/announcements/{academy.course.pk}")
    assert [row["title"] for row in api.json()] == ["Homework", "Live session Friday"]


def test_announcements_are_checked_and_another_seller_cannot_send(academy: Academy) -> None:  # noqa: F811
    academy.enrol(academy.buyer)
    seller = academy.client(academy.seller_owner())
    empty = seller.post(
        f"/studio/courses/students/{academy.course.pk}/announce/", {"title": "", "body": "x"}
    )
    assert empty.status_code == 422 and "Write a title." in empty.content.decode()

    rival = academy.client(academy.seller_owner(rival=True))
    assert (
        rival.post(
            f"/studio/courses/students/{academy.course.pk}/announce/", {"title": "t", "body": "b"}
        ).status_code
        == 404
    )
    api = rival.post(
        f"/api/v1/courses/seller/courses/{academy.course.pk}/announcements",
        {"title": "t", "body": "b"},
        content_type="application/json",
    )
    assert api.status_code == 404
    with schema_context(academy.tenant.schema_name):
        assert Announcement.objects.count() == 0
        assert not Notification.objects.filter(type_key="courses.announcement").exists()

    ok = seller.post(
        f"/api/v1/courses/seller/courses/{academy.course.pk}/announcements",
        {"title": "Welcome", "body": "Glad you are here."},
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["students_told"] == 1


def test_the_student_list_with_progress_chart_and_csv(academy: Academy, time_machine: Any) -> None:  # noqa: F811
    done = academy.enrol(academy.buyer)
    academy.finish(done)
    with schema_context(academy.tenant.schema_name):
        Enrolment.objects.filter(pk=done.pk).update(progress_percent=100, last_active_at=T0)
        certificate = certificates.issue_for_enrolment(enrolment_id=done.pk)
    assert certificate is not None
    halfway = academy.enrol(academy.other_buyer)
    with schema_context(academy.tenant.schema_name):
        Enrolment.objects.filter(pk=halfway.pk).update(progress_percent=40)

    seller = academy.client(academy.seller_owner())
    page = seller.get(f"/studio/courses/students/{academy.course.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Amara Okafor" in html and "Bo Lindqvist" in html
    assert certificate.code in html and "100%" in html and "40%" in html
    assert 'id="chart-course-progress"' in html  # the chart
    assert "2 students &middot; 1 completed" in html

    api = seller.get(f"/api/v1/courses/seller/courses/{academy.course.pk}/students")
    assert api.status_code == 200
    body = api.json()
    assert body["progress_distribution"] == [0, 1, 0, 0, 1]
    assert [row["name"] for row in body["students"]] == ["Bo Lindqvist", "Amara Okafor"]
    assert body["students"][1]["certificate_code"] == certificate.code

    exported = seller.get(f"/studio/courses/students/{academy.course.pk}/export.csv")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert {row["email"]: row["progress_percent"] for row in rows} == {
        academy.buyer.email: "100",
        academy.other_buyer.email: "40",
    }

    home = seller.get("/studio/courses/students/")
    assert f"/studio/courses/students/{academy.course.pk}/" in home.content.decode()
    assert "Oil Painting" not in home.content.decode()


def test_another_seller_and_another_marketplace_see_no_students(
    academy: Academy,  # noqa: F811
    make_tenant: Any,
    client_for: Any,
) -> None:
    academy.enrol(academy.buyer)
    rival = academy.client(academy.seller_owner(rival=True))
    for url in (
        f"/studio/courses/students/{academy.course.pk}/",
        f"/studio/courses/students/{academy.course.pk}/export.csv",
        f"/api/v1/courses/seller/courses/{academy.course.pk}/students",
    ):
        assert rival.get(url).status_code == 404, url
    assert academy.client(academy.buyer).get(
        f"/studio/courses/students/{academy.course.pk}/"
    ).status_code in {302, 403, 404}

    use_public_schema()
    other = make_tenant("other-academy", modules=["courses"]).tenant
    visitor = client_for(other)
    assert visitor.get(f"/courses/announcements/{academy.course.pk}/").status_code in {302, 404}
    assert visitor.get(f"/courses/lessons/{academy.video.pk}/questions/").status_code == 404
