"""A course marketplace for the certificate and engagement tests: a branded marketplace with
courses on, a seller with a course (two required video lessons, a required quiz, an optional
text lesson, a preview lesson), a rival seller with a course of their own, buyers enrolled
the one real way (the cart, commerce's checkout, the fulfil hook after commit), and a
refund through commerce. Progress and quiz results are written as rows: other parts of the
module own how they are earned."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.commerce.models import Order
from core.commerce.services.cart import add_product, get_or_create_cart
from core.commerce.services.checkout import CheckoutInput, checkout_cart
from core.commerce.services.refunds import refund_order
from core.events import dispatch_pending
from core.payments.providers.sandbox import SUCCESS_CARD
from modules.courses.models import (
    Attempt,
    Course,
    Enrolment,
    Lesson,
    LessonKind,
    LessonProgress,
    Quiz,
    Section,
)
from tests.accounts_helpers import PASSWORD, make_user
from tests.catalog_helpers import make_product, make_seller
from tests.fleet_helpers import host_of

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
BRAND_COLOUR = "#7a1f5c"


class Academy:
    def __init__(self, make_tenant: Any, slug: str, capture: Any) -> None:
        self.capture = capture
        self.tenant = make_tenant(
            slug,
            name=f"{slug.replace('-', ' ').title()}",
            modules=["courses"],
            branding={"primary_colour": BRAND_COLOUR},
        ).tenant
        self.seller = make_seller(
            self.tenant, f"{slug}-teacher", "Ada Teaches", product_types=["course"]
        )
        self.rival = make_seller(
            self.tenant, f"{slug}-rival", "Rival School", product_types=["course"]
        )
        self.product = make_product(
            self.tenant, self.seller, "Watercolour Basics", price=4900, product_type="course"
        )
        self.rival_product = make_product(
            self.tenant, self.rival, "Oil Painting", price=3900, product_type="course"
        )
        self.buyer = make_user(self.tenant, f"amara@{slug}.example", full_name="Amara Okafor")
        self.other_buyer = make_user(self.tenant, f"bo@{slug}.example", full_name="Bo Lindqvist")
        with schema_context(self.tenant.schema_name):
            self.course = Course.objects.create(product=self.product)
            section = Section.objects.create(course=self.course, title="Getting started")
            self.intro = self._lesson(section, "Welcome", LessonKind.VIDEO, 0, is_preview=True)
            self.video = self._lesson(section, "Mixing colours", LessonKind.VIDEO, 1)
            self.reading = self._lesson(
                section, "Further reading", LessonKind.TEXT, 2, is_required=False
            )
            self.quiz_lesson = self._lesson(section, "Check yourself", LessonKind.QUIZ, 3)
            self.quiz = Quiz.objects.create(lesson=self.quiz_lesson, pass_percent=70)
            self.rival_course = Course.objects.create(product=self.rival_product)
            rival_section = Section.objects.create(course=self.rival_course, title="Oils")
            self.rival_lesson = self._lesson(rival_section, "Brushes", LessonKind.VIDEO, 0)

    def _lesson(
        self, section: Section, title: str, kind: str, position: int, **fields: Any
    ) -> Lesson:
        return Lesson.objects.create(
            course=section.course,
            section=section,
            title=title,
            kind=kind,
            position=position,
            **fields,
        )

    def enrol(self, buyer: User, product: Any = None) -> Enrolment:
        """``buyer`` pays for the course (the fulfil hook enrols them)."""
        order = self.buy(buyer, product or self.product)
        with schema_context(self.tenant.schema_name):
            return Enrolment.objects.get(order_line__order=order)

    def buy(self, buyer: User, product: Any) -> Order:
        with schema_context(self.tenant.schema_name):
            cart = get_or_create_cart(buyer=buyer, token=None)
            add_product(cart=cart, product_id=product.pk)
            with self.capture(execute=True):
                order, _, _ = checkout_cart(
                    buyer=buyer,
                    cart=cart,
                    details=CheckoutInput(country="DE"),
                    idempotency_key=uuid.uuid4().hex,
                    payment_method=SUCCESS_CARD,
                )
            dispatch_pending()
            return Order.objects.get(pk=order.pk)

    def refund(self, enrolment: Enrolment) -> None:
        with schema_context(self.tenant.schema_name):
            assert enrolment.order_line is not None
            with self.capture(execute=True):
                refund_order(
                    order_id=enrolment.order_line.order_id,
                    lines=None,
                    reason="Refunded",
                    idempotency_key=f"refund-{enrolment.pk}",
                    actor=None,
                    actor_label="test",
                )
            dispatch_pending()

    def complete_lesson(self, enrolment: Enrolment, lesson: Lesson) -> None:
        with schema_context(self.tenant.schema_name):
            LessonProgress.objects.update_or_create(
                enrolment=enrolment, lesson=lesson, defaults={"completed_at": T0}
            )

    def sit_quiz(self, enrolment: Enrolment, *, passed: bool) -> Attempt:
        with schema_context(self.tenant.schema_name):
            number = Attempt.objects.filter(enrolment=enrolment, quiz=self.quiz).count() + 1
            return Attempt.objects.create(
                quiz=self.quiz,
                enrolment=enrolment,
                number=number,
                started_at=T0,
                submitted_at=T0,
                score_percent=90 if passed else 40,
                passed=passed,
            )

    def finish(self, enrolment: Enrolment) -> None:
        """Every required lesson done and the quiz passed."""
        self.complete_lesson(enrolment, self.intro)
        self.complete_lesson(enrolment, self.video)
        self.sit_quiz(enrolment, passed=True)

    def client(self, user: User | None = None) -> Client:
        """A browser on the marketplace, signed in through the login page when ``user``."""
        client = Client(HTTP_HOST=host_of(self.tenant))
        if user is not None:
            response = client.post(
                "/accounts/login/", {"username": user.email, "password": PASSWORD}
            )
            assert response.status_code == 302, response.content[:300]
        return client

    def seller_owner(self, rival: bool = False) -> User:
        with schema_context(self.tenant.schema_name):
            return User.objects.get(pk=(self.rival if rival else self.seller).owner_id)


@pytest.fixture
def academy(
    make_tenant: Callable[..., Any], time_machine: Any, django_capture_on_commit_callbacks: Any
) -> Academy:
    time_machine.move_to(T0, tick=False)
    return Academy(make_tenant, "paint-school", django_capture_on_commit_callbacks)
