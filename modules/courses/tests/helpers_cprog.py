"""A course marketplace for the enrolment, access, progress and learning-page tests: a seller
with a course (two sections: a 100 s video, a text lesson, a quiz; then a dripped video, a
video behind the first one, a video behind the quiz and an optional text lesson), a rival
seller, a buyer, and buying it the one real way (the cart, commerce's checkout, fulfilment
after commit) and refunding it through commerce."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.commerce.models import Order
from core.commerce.services.cart import add_product, get_or_create_cart
from core.commerce.services.checkout import CheckoutInput, checkout_cart
from core.commerce.services.refunds import refund_order
from core.events import dispatch_pending
from core.payments.providers.sandbox import SUCCESS_CARD
from modules.courses.models import Course, Enrolment, Lesson, LessonKind, Quiz, Section
from tests.accounts_helpers import PASSWORD, make_user
from tests.catalog_helpers import make_product, make_seller
from tests.fleet_helpers import host_of

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
PROGRESS = "/api/v1/courses/progress"


class Academy:
    def __init__(self, make_tenant: Any, slug: str) -> None:
        self.slug = slug
        self.tenant = make_tenant(slug, modules=["courses"]).tenant
        self.seller = make_seller(self.tenant, f"{slug}-teacher", product_types=["course"])
        self.rival = make_seller(self.tenant, f"{slug}-rival", product_types=["course"])
        self.product = make_product(
            self.tenant, self.seller, "Python from Zero", price=4900, product_type="course"
        )
        self.buyer = make_user(self.tenant, f"amara@{slug}.example", full_name="Amara Okafor")
        self.other = make_user(self.tenant, f"ben@{slug}.example", full_name="Ben Other")
        with schema_context(self.tenant.schema_name):
            self.course = Course.objects.create(product=self.product, level="Beginner")
            first = Section.objects.create(course=self.course, title="Getting started", position=0)
            second = Section.objects.create(course=self.course, title="Going further", position=1)

            def lesson(section: Section, position: int, title: str, kind: str, **f: Any) -> Lesson:
                return Lesson.objects.create(
                    course=self.course,
                    section=section,
                    title=title,
                    kind=kind,
                    position=position,
                    **f,
                )

            self.video = lesson(first, 0, "Installing Python", "video", duration_seconds=100)
            self.text = lesson(
                first, 1, "Reading the docs", "text", body="<p>Read them.</p>", min_seconds=30
            )
            self.quiz = lesson(first, 2, "Check yourself", "quiz")
            self.quiz_settings = Quiz.objects.create(lesson=self.quiz, pass_percent=50)
            self.dripped = lesson(second, 0, "Week two", "video", duration_seconds=60, drip_days=7)
            self.after_video = lesson(
                second,
                1,
                "Loops",
                LessonKind.VIDEO,
                duration_seconds=60,
                prerequisite=self.video,
            )
            self.after_quiz = lesson(
                second,
                2,
                "Functions",
                LessonKind.VIDEO,
                duration_seconds=60,
                prerequisite=self.quiz,
            )
            self.extra = lesson(second, 3, "Further reading", "text", is_required=False)

    @property
    def lessons(self) -> list[Lesson]:
        return [
            self.video,
            self.text,
            self.quiz,
            self.dripped,
            self.after_video,
            self.after_quiz,
            self.extra,
        ]

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

    def enrol(self, buyer: User, capture: Any) -> Enrolment:
        order = self.buy(buyer, capture)
        with schema_context(self.tenant.schema_name):
            return Enrolment.objects.get(order_line__order=order)

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

    def client(self, user: User) -> Client:
        """A browser signed in through the marketplace's login page."""
        client = Client(HTTP_HOST=host_of(self.tenant))
        response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
        assert response.status_code == 302
        return client


def report(client: Client, lesson: Lesson, intervals: Any, position: float) -> Any:
    return client.post(
        PROGRESS,
        {"lesson_id": lesson.pk, "intervals": intervals, "position": position},
        content_type="application/json",
    )


def open_academy(make_tenant: Any, time_machine: Any) -> Academy:
    """The ``academy`` fixture of the test files: the clock stopped at T0."""
    time_machine.move_to(T0, tick=False)
    return Academy(make_tenant, "code-school")


def order_of(enrolment: Enrolment) -> int:
    assert enrolment.order_line is not None
    return enrolment.order_line.order_id
