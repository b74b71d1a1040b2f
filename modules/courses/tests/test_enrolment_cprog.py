"""Enrolment through commerce: a paid order enrols the buyer (once, however often the hook
runs), a full refund unenrols them (and their pages and reports close), a second purchase
reopens their enrolment with its progress; a seller gives a free place on their own course
only."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import OrderLine
from modules.courses import hooks
from modules.courses.errors import CourseError
from modules.courses.models import Enrolment, LessonProgress
from modules.courses.services import enrolment as enrolments
from modules.courses.tests.helpers_cprog import T0, Academy, open_academy, order_of, report


@pytest.fixture
def academy(make_tenant: Any, time_machine: Any) -> Academy:
    return open_academy(make_tenant, time_machine)


def order_line_id(enrolment: Enrolment) -> int:
    assert enrolment.order_line_id is not None
    return enrolment.order_line_id


def test_paying_enrols_the_buyer_once(
    academy: Academy, django_capture_on_commit_callbacks: Any
) -> None:
    order = academy.buy(academy.buyer, django_capture_on_commit_callbacks)
    with schema_context(academy.tenant.schema_name):
        (enrolment,) = Enrolment.objects.all()
        line = OrderLine.objects.get(order=order)
        assert (enrolment.buyer_id, enrolment.course_id, enrolment.order_line_id) == (
            academy.buyer.pk,
            academy.course.pk,
            line.pk,
        )
        assert enrolment.enrolled_at == T0 and enrolment.revoked_at is None
        hooks.fulfil(line)  # commerce again after a crash
        hooks.fulfil(line)
        assert Enrolment.objects.count() == 1


def test_a_full_refund_unenrols_and_closes_progress(
    academy: Academy, django_capture_on_commit_callbacks: Any
) -> None:
    enrolment = academy.enrol(academy.buyer, django_capture_on_commit_callbacks)
    client = academy.client(academy.buyer)
    assert report(client, academy.video, [[0, 10]], 10).status_code == 200

    academy.refund(order_of(enrolment), django_capture_on_commit_callbacks)

    with schema_context(academy.tenant.schema_name):
        enrolment.refresh_from_db()
        assert enrolment.revoked_at is not None
        assert enrolment.revoked_reason == "The order was refunded."
        line = OrderLine.objects.get(pk=order_line_id(enrolment))
        hooks.revoke(line)  # idempotent
        assert Enrolment.objects.filter(revoked_at__isnull=True).count() == 0
    response = report(client, academy.video, [[10, 20]], 20)
    assert response.status_code == 404
    with schema_context(academy.tenant.schema_name):
        (kept,) = LessonProgress.objects.all()
        assert kept.watched == [0, 10]  # the refunded report wrote nothing
    assert client.get(f"/courses/{academy.course.pk}/learn/{academy.video.pk}/").status_code == 404


def test_buying_again_reopens_the_enrolment_with_its_progress(
    academy: Academy, django_capture_on_commit_callbacks: Any
) -> None:
    first = academy.enrol(academy.buyer, django_capture_on_commit_callbacks)
    client = academy.client(academy.buyer)
    assert report(client, academy.video, [[0, 40]], 40).status_code == 200
    academy.refund(order_of(first), django_capture_on_commit_callbacks)

    order = academy.buy(academy.buyer, django_capture_on_commit_callbacks)

    with schema_context(academy.tenant.schema_name):
        (enrolment,) = Enrolment.objects.all()
        assert enrolment.pk == first.pk and enrolment.revoked_at is None
        assert enrolment.order_line_id == OrderLine.objects.get(order=order).pk
    response = report(client, academy.video, [[40, 50]], 50)
    assert response.json()["watched_seconds"] == 50


def test_a_seller_enrols_someone_on_their_own_course_only(academy: Academy) -> None:
    with schema_context(academy.tenant.schema_name):
        given = enrolments.enrol_manually(
            seller_id=academy.seller.pk, course_id=academy.course.pk, email=academy.other.email
        )
        again = enrolments.enrol_manually(
            seller_id=academy.seller.pk, course_id=academy.course.pk, email=academy.other.email
        )
        assert given.pk == again.pk and given.order_line_id is None
        with pytest.raises(CourseError) as refused:
            enrolments.enrol_manually(
                seller_id=academy.rival.pk, course_id=academy.course.pk, email="x@example.com"
            )
        assert refused.value.code == "course_not_found"
        with pytest.raises(CourseError):
            enrolments.unenrol_manually(
                seller_id=academy.rival.pk, enrolment_id=given.pk, reason="no"
            )
        enrolments.unenrol_manually(seller_id=academy.seller.pk, enrolment_id=given.pk, reason="")
        given.refresh_from_db()
        assert given.revoked_at is not None
