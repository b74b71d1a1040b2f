"""Issuing certificates: only once the enrolment is complete (every required lesson completed
and every required quiz passed; optional lessons do not count), once per enrolment however
often it is asked, never for a refunded enrolment or a course without certificates. The PDF
carries the student's name, the course, the marketplace, the instructor and the code, with
a QR code image; the student is told once. The student downloads their own PDF; another
buyer and a signed-out visitor cannot."""

from __future__ import annotations

import io

from django_tenants.utils import schema_context
from pypdf import PdfReader

from core.notifications.models import Notification
from modules.courses.models import Certificate, Course, Enrolment
from modules.courses.services import certificates
from modules.courses.tests.helpers_ccert import Academy, academy  # noqa: F401


def issue(shop: Academy, enrolment: Enrolment) -> Certificate | None:
    with schema_context(shop.tenant.schema_name):
        return certificates.issue_for_enrolment(enrolment_id=enrolment.pk)


def pdf_text(shop: Academy, certificate: Certificate) -> tuple[str, PdfReader]:
    with schema_context(shop.tenant.schema_name), certificate.pdf.open("rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def test_no_certificate_until_every_required_lesson_and_quiz_is_done(academy: Academy) -> None:  # noqa: F811
    enrolment = academy.enrol(academy.buyer)
    assert issue(academy, enrolment) is None

    academy.complete_lesson(enrolment, academy.intro)
    academy.complete_lesson(enrolment, academy.video)
    assert issue(academy, enrolment) is None  # the quiz is not passed yet

    academy.sit_quiz(enrolment, passed=False)
    assert issue(academy, enrolment) is None  # a failed attempt is not a pass

    academy.complete_lesson(enrolment, academy.quiz_lesson)  # completing is not passing
    assert issue(academy, enrolment) is None

    academy.sit_quiz(enrolment, passed=True)  # the optional reading stays undone
    certificate = issue(academy, enrolment)

    assert certificate is not None
    with schema_context(academy.tenant.schema_name):
        assert Certificate.objects.count() == 1
        enrolment.refresh_from_db()
        assert enrolment.completed_at is not None
        assert (certificate.student_name, certificate.course_title) == (
            "Amara Okafor",
            "Watercolour Basics",
        )


def test_is_complete_needs_the_required_lessons_only(academy: Academy) -> None:  # noqa: F811
    enrolment = academy.enrol(academy.buyer)
    academy.complete_lesson(enrolment, academy.intro)
    academy.complete_lesson(enrolment, academy.reading)
    academy.sit_quiz(enrolment, passed=True)
    with schema_context(academy.tenant.schema_name):
        assert not certificates.is_complete(Enrolment.objects.get(pk=enrolment.pk))
    academy.complete_lesson(enrolment, academy.video)
    with schema_context(academy.tenant.schema_name):
        assert certificates.is_complete(Enrolment.objects.get(pk=enrolment.pk))


def test_issuing_is_idempotent_and_tells_the_student_once(academy: Academy) -> None:  # noqa: F811
    enrolment = academy.enrol(academy.buyer)
    academy.finish(enrolment)

    first = issue(academy, enrolment)
    second = issue(academy, enrolment)

    assert first is not None and second is not None and first.pk == second.pk
    with schema_context(academy.tenant.schema_name):
        assert Certificate.objects.filter(enrolment=enrolment).count() == 1
        (notice,) = Notification.objects.filter(type_key="courses.certificate")
        assert notice.user_id == academy.buyer.pk
        assert notice.url == f"/courses/certificates/{first.pk}/download/"
        assert first.code in notice.body


def test_the_pdf_has_the_name_course_code_brand_and_a_qr_code(academy: Academy) -> None:  # noqa: F811
    enrolment = academy.enrol(academy.buyer)
    academy.finish(enrolment)
    certificate = issue(academy, enrolment)
    assert certificate is not None

    text, reader = pdf_text(academy, certificate)

    assert "Amara Okafor" in text
    assert "Watercolour Basics" in text
    assert certificate.code in text
    assert "Paint School" in text  # the marketplace
    assert "Ada Teaches" in text  # the instructor
    assert "7 December 2026" in text
    assert f"/certificates/{certificate.code}/" in text
    assert len(reader.pages) == 1
    images = reader.pages[0].images
    assert len(images) == 1  # the QR code
    assert images[0].image is not None and images[0].image.size[0] == images[0].image.size[1]
    # Stored privately, under the tenant's prefix.
    assert str(certificate.pdf.name).startswith(
        f"{academy.tenant.schema_name}/courses/certificates/"
    )


def test_a_unicode_name_survives_in_the_pdf(academy: Academy) -> None:  # noqa: F811
    with schema_context(academy.tenant.schema_name):
        academy.buyer.full_name = "Zoë Łukasiewicz"
        academy.buyer.save(update_fields=["full_name"])
    enrolment = academy.enrol(academy.buyer)
    academy.finish(enrolment)
    certificate = issue(academy, enrolment)
    assert certificate is not None
    assert "Zoë Łukasiewicz" in pdf_text(academy, certificate)[0]


def test_no_certificate_for_a_refunded_enrolment_or_a_course_without_them(
    academy: Academy,  # noqa: F811
) -> None:
    enrolment = academy.enrol(academy.buyer)
    academy.finish(enrolment)
    academy.refund(enrolment)
    assert issue(academy, enrolment) is None

    other = academy.enrol(academy.other_buyer)
    academy.finish(other)
    with schema_context(academy.tenant.schema_name):
        Course.objects.filter(pk=academy.course.pk).update(issues_certificate=False)
    assert issue(academy, other) is None
    with schema_context(academy.tenant.schema_name):
        assert Certificate.objects.count() == 0
        assert not Notification.objects.filter(type_key="courses.certificate").exists()


def test_the_student_downloads_their_own_certificate_only(academy: Academy) -> None:  # noqa: F811
    enrolment = academy.enrol(academy.buyer)
    academy.finish(enrolment)
    certificate = issue(academy, enrolment)
    assert certificate is not None
    url = f"/courses/certificates/{certificate.pk}/download/"

    response = academy.client(academy.buyer).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"certificate-{certificate.code}.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]

    assert academy.client(academy.other_buyer).get(url).status_code == 404
    anonymous = academy.client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    listing = academy.client(academy.buyer).get("/courses/certificates/")
    assert listing.status_code == 200 and certificate.code in listing.content.decode()
    assert (
        certificate.code
        not in academy.client(academy.other_buyer).get("/courses/certificates/").content.decode()
    )

    mine = academy.client(academy.buyer).get("/api/v1/courses/certificates")
    assert mine.status_code == 200
    (row,) = mine.json()
    assert row["code"] == certificate.code and row["download_url"] == url
    assert row["verification_url"].endswith(f"/certificates/{certificate.code}/")
    assert academy.client(academy.other_buyer).get("/api/v1/courses/certificates").json() == []


def test_a_revoked_certificate_cannot_be_downloaded(academy: Academy) -> None:  # noqa: F811
    enrolment = academy.enrol(academy.buyer)
    academy.finish(enrolment)
    certificate = issue(academy, enrolment)
    assert certificate is not None
    with schema_context(academy.tenant.schema_name):
        certificates.revoke(
            seller_id=academy.seller.pk, certificate_id=certificate.pk, reason="Plagiarism"
        )
    url = f"/courses/certificates/{certificate.pk}/download/"
    assert academy.client(academy.buyer).get(url).status_code == 404


def test_codes_are_normalised() -> None:
    assert certificates.normalise_code("abcd-efgh-jkmn-pqrs") == "ABCD-EFGH-JKMN-PQRS"
    assert certificates.normalise_code("ABCDEFGHJKMNPQRS") == "ABCD-EFGH-JKMN-PQRS"
    assert certificates.normalise_code("abcd efgh jkmn pqrs") == "ABCD-EFGH-JKMN-PQRS"
    assert certificates.normalise_code("ABCD-EFGH") is None
