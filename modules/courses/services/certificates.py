"""Certificates: one per enrolment, issued once the enrolment is complete (every required
lesson completed and every required quiz passed). The student's name and the course's title
are snapshots; the PDF (fpdf2, in the marketplace's branding, with a QR code pointing at the
public verification page) is stored privately under the tenant's prefix. A seller may revoke
a certificate of their own course with a reason; a revoked certificate stays verifiable as
revoked. Codes are looked up case-insensitively, with or without dashes."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from datetime import datetime

import qrcode
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from fpdf import FPDF

from core.marketplace import current_marketplace
from core.notifications.email import site_origin
from core.notifications.services.notify import notify
from modules.courses.errors import CourseErrorCode, invalid, not_found
from modules.courses.models import (
    Attempt,
    Certificate,
    Enrolment,
    LessonKind,
    LessonProgress,
    Quiz,
)
from tenants.models import Branding
from tenants.selectors import current_tenant_row

logger = logging.getLogger(__name__)

CERTIFICATE_READY = "courses.certificate"
DEFAULT_PRIMARY = "#2f6fde"
FONT_DIRECTORY = "/usr/share/fonts/truetype/dejavu"
_CODE_CHARACTERS = re.compile(r"[^A-Z0-9]")


# --- completion --------------------------------------------------------------------------------


def is_complete(enrolment: Enrolment) -> bool:
    """Every required lesson completed (``LessonProgress.completed_at``) and every required
    quiz passed (a passed attempt of this enrolment). A course with no required lesson is
    never complete: there is nothing to certify. Three queries whatever the course's size."""
    required = list(enrolment.course.lessons.filter(is_required=True).values_list("pk", "kind"))
    if not required:
        return False
    quiz_of_lesson = dict(
        Quiz.objects.filter(lesson_id__in=[pk for pk, _ in required]).values_list("lesson_id", "pk")
    )
    completed = set(
        LessonProgress.objects.filter(enrolment=enrolment, completed_at__isnull=False).values_list(
            "lesson_id", flat=True
        )
    )
    passed = set(
        Attempt.objects.filter(enrolment=enrolment, passed=True).values_list("quiz_id", flat=True)
    )
    for lesson_id, kind in required:
        quiz_id = quiz_of_lesson.get(lesson_id) if kind == LessonKind.QUIZ else None
        if quiz_id is not None:
            if quiz_id not in passed:
                return False
        elif lesson_id not in completed:
            return False
    return True


# --- issuing -----------------------------------------------------------------------------------


def issue_for_enrolment(*, enrolment_id: int, now: datetime | None = None) -> Certificate | None:
    """The enrolment's certificate, issued now if it is complete and has none yet (idempotent:
    one certificate per enrolment, however often this runs). None when the enrolment is not
    complete, is revoked (refunded), or the course issues no certificates."""
    now = now or timezone.now()
    with transaction.atomic():
        enrolment = (
            Enrolment.objects.select_for_update(of=("self",))
            .select_related("course__product__seller", "buyer")
            .filter(pk=enrolment_id)
            .first()
        )
        if enrolment is None:
            return None
        existing = Certificate.objects.filter(enrolment=enrolment).first()
        if existing is not None:
            return existing
        course = enrolment.course
        if not course.issues_certificate or enrolment.revoked_at is not None:
            return None
        if not is_complete(enrolment):
            return None
        if enrolment.completed_at is None:
            enrolment.completed_at = now
            enrolment.save(update_fields=["completed_at"])
        buyer = enrolment.buyer
        certificate = Certificate(
            enrolment=enrolment,
            student_name=(buyer.full_name.strip() or buyer.email)[:200],
            course_title=course.product.name[:200],
            issued_at=now,
        )
        content = render_pdf(certificate, instructor=course.product.seller.business_name)
        certificate.pdf.save(f"{certificate.key}.pdf", ContentFile(content), save=False)
        certificate.save()
        notify(
            user_ids=[buyer.pk],
            type_key=CERTIFICATE_READY,
            title=f"Your certificate for {certificate.course_title} is ready",
            body=f"Verification code {certificate.code}.",
            url=reverse("courses:certificate_download", args=[certificate.pk]),
            data={"certificate_id": certificate.pk, "code": certificate.code},
            dedupe_key=f"courses.certificate:{certificate.pk}",
        )
        return certificate


# --- the PDF -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Brand:
    name: str
    primary_colour: str


def current_brand() -> Brand:
    """The marketplace's display name and primary colour (its branding, else its name and the
    default colour)."""
    tenant = current_tenant_row()
    branding = Branding.objects.filter(tenant=tenant).first() if tenant is not None else None
    if branding is not None:
        return Brand(branding.display_name or current_marketplace().name, branding.primary_colour)
    return Brand(current_marketplace().name, DEFAULT_PRIMARY)


def verification_url(code: str) -> str:
    """The public page that says whether ``code`` is valid, on the marketplace's primary
    domain (never a request's Host header)."""
    return f"{site_origin()}{reverse('course_certificate', args=[code])}"


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    if not re.fullmatch(r"[0-9a-fA-F]{6}", value):
        value = DEFAULT_PRIMARY.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _qr_png(url: str) -> bytes:
    code = qrcode.QRCode(border=1, box_size=8)
    code.add_data(url)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(out, format="PNG")
    return out.getvalue()


def _set_fonts(pdf: FPDF) -> str:
    """DejaVu (every name in Unicode) where installed, else Helvetica (Latin-1 only)."""
    try:
        pdf.add_font("DejaVu", "", f"{FONT_DIRECTORY}/DejaVuSans.ttf")
        pdf.add_font("DejaVu", "B", f"{FONT_DIRECTORY}/DejaVuSans-Bold.ttf")
    except (OSError, FileNotFoundError):
        return "helvetica"
    return "DejaVu"


def render_pdf(certificate: Certificate, *, instructor: str, brand: Brand | None = None) -> bytes:
    """An A4 landscape certificate: the marketplace's name in its colour, the student, the
    course, the date (the marketplace's time zone), the instructor, the code and a QR code of
    the verification page."""
    brand = brand or current_brand()
    red, green, blue = _rgb(brand.primary_colour)
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(f"Certificate {certificate.code}")
    pdf.set_author(brand.name)
    family = _set_fonts(pdf)

    def text(value: str) -> str:
        if family == "helvetica":
            return value.encode("latin-1", "replace").decode("latin-1")
        return value

    pdf.add_page()
    width, height = pdf.w, pdf.h
    pdf.set_fill_color(red, green, blue)
    pdf.rect(0, 0, width, 24, style="F")
    pdf.set_draw_color(red, green, blue)
    pdf.set_line_width(1.2)
    pdf.rect(10, 32, width - 20, height - 42)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(family, "B", 18)
    pdf.set_xy(14, 7)
    pdf.cell(width - 28, 10, text(brand.name), align="L")

    pdf.set_text_color(90, 90, 90)
    pdf.set_font(family, "", 14)
    pdf.set_xy(20, 46)
    pdf.cell(width - 40, 8, "Certificate of completion", align="C")
    pdf.set_xy(20, 60)
    pdf.cell(width - 40, 8, "This certifies that", align="C")
    pdf.set_text_color(20, 20, 20)
    pdf.set_font(family, "B", 30)
    pdf.set_xy(20, 72)
    pdf.multi_cell(width - 40, 13, text(certificate.student_name), align="C")
    pdf.set_text_color(90, 90, 90)
    pdf.set_font(family, "", 14)
    pdf.set_x(20)
    pdf.cell(width - 40, 10, "has completed the course", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(red, green, blue)
    pdf.set_font(family, "B", 22)
    pdf.set_x(20)
    pdf.multi_cell(width - 40, 11, text(certificate.course_title), align="C")

    issued = timezone.localtime(certificate.issued_at).date()
    pdf.set_text_color(40, 40, 40)
    pdf.set_font(family, "", 12)
    pdf.set_xy(24, height - 58)
    pdf.cell(140, 7, text(f"Issued on {issued.day} {issued:%B %Y}"))
    pdf.set_xy(24, height - 50)
    pdf.cell(140, 7, text(f"Instructor: {instructor}"))
    pdf.set_xy(24, height - 42)
    pdf.cell(140, 7, text(f"Offered on {brand.name}"))
    pdf.set_font(family, "B", 12)
    pdf.set_xy(24, height - 30)
    pdf.cell(140, 7, f"Verification code: {certificate.code}")

    url = verification_url(certificate.code)
    side = 38
    pdf.image(io.BytesIO(_qr_png(url)), x=width - 24 - side, y=height - 26 - side, w=side, h=side)
    pdf.set_font(family, "", 8)
    pdf.set_text_color(90, 90, 90)
    pdf.set_xy(width - 24 - 90, height - 24)
    pdf.cell(90, 5, text(url), align="R")
    return bytes(pdf.output())


# --- revoking, downloading, verifying ----------------------------------------------------------


def revoke(
    *, seller_id: int, certificate_id: int, reason: str, now: datetime | None = None
) -> Certificate:
    """A certificate of the seller's own course revoked with a reason (again: unchanged).
    Another seller's certificate is not found."""
    reason = reason.strip()
    if not reason:
        raise invalid(CourseErrorCode.INVALID_MESSAGE, "reason", "Say why it is revoked.")
    if len(reason) > 300:
        raise invalid(CourseErrorCode.INVALID_MESSAGE, "reason", "At most 300 characters.")
    with transaction.atomic():
        certificate = (
            Certificate.objects.select_for_update()
            .filter(pk=certificate_id, enrolment__course__product__seller_id=seller_id)
            .first()
        )
        if certificate is None:
            raise not_found("No such certificate.")
        if certificate.revoked_at is None:
            certificate.revoked_at = now or timezone.now()
            certificate.revoked_reason = reason
            certificate.save(update_fields=["revoked_at", "revoked_reason"])
        return certificate


def certificate_of_student(*, user_id: int, certificate_id: int) -> Certificate:
    """The student's own certificate with a PDF to download; anyone else's, and a revoked
    one, is not found."""
    certificate = (
        Certificate.objects.select_related("enrolment")
        .filter(pk=certificate_id, enrolment__buyer_id=user_id)
        .first()
    )
    if certificate is None or not certificate.pdf:
        raise not_found("No such certificate.")
    if certificate.revoked_at is not None:  # the page says so; the file is gone for good
        raise not_found("This certificate was revoked.")
    return certificate


def certificates_of_student(*, user_id: int) -> list[Certificate]:
    return list(
        Certificate.objects.filter(enrolment__buyer_id=user_id).order_by("-issued_at", "-pk")
    )


def normalise_code(code: str) -> str | None:
    """``abcd-efgh-...``, ``ABCDEFGH...`` or with spaces: the stored form ``ABCD-EFGH-JKLM-NPQR``
    (None when it cannot be a code)."""
    raw = _CODE_CHARACTERS.sub("", code.upper())
    if len(raw) != 16:
        return None
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class Verification:
    code: str
    student_name: str
    course_title: str
    issued_at: datetime
    instructor: str
    revoked_at: datetime | None

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None


def verify(code: str) -> Verification | None:
    """What the public verification page shows for ``code`` (None: no such certificate here)."""
    normalised = normalise_code(code[:64])
    if normalised is None:
        return None
    certificate = (
        Certificate.objects.select_related("enrolment__course__product__seller")
        .filter(code=normalised)
        .first()
    )
    if certificate is None:
        return None
    return Verification(
        code=certificate.code,
        student_name=certificate.student_name,
        course_title=certificate.course_title,
        issued_at=certificate.issued_at,
        instructor=certificate.enrolment.course.product.seller.business_name,
        revoked_at=certificate.revoked_at,
    )
