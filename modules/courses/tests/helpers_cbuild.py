"""A course marketplace for the builder and landing-page tests: a teacher with a course
product built through the builder's services (two sections: a 90 s video as a free preview
and a text lesson; a quiz), a rival seller with a course of their own, a buyer enrolled the
one real way (the cart, commerce's checkout, fulfilment after commit), and signed-in
clients."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.commerce.models import Order
from core.commerce.services.cart import add_product, get_or_create_cart
from core.commerce.services.checkout import CheckoutInput, checkout_cart
from core.events import dispatch_pending
from core.payments.providers.sandbox import SUCCESS_CARD
from core.sellers.models import Seller
from modules.courses.models import Course, Enrolment, Lesson
from modules.courses.services import builder
from modules.courses.services.durations import recompute_course_duration
from tests.accounts_helpers import PASSWORD, make_user
from tests.catalog_helpers import make_product, make_seller
from tests.fleet_helpers import host_of

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SELLER_API = "/courses/seller"  # under /api/v1 (tests.accounts_helpers.call)
STUDIO = "/studio/courses"


def build_course(seller: Seller, product_id: int) -> dict[str, Any]:
    """The teacher's course, written through the builder (in the tenant's schema)."""
    course = builder.set_details(
        seller_id=seller.pk,
        product_id=product_id,
        data=builder.CourseDetails(
            level="Beginner",
            language="en",
            outcomes="Write small programs\nRead error messages",
        ),
    )
    basics = builder.add_section(seller_id=seller.pk, course_id=course.pk, title="Basics")
    further = builder.add_section(seller_id=seller.pk, course_id=course.pk, title="Going further")
    video = builder.add_lesson(
        seller_id=seller.pk, section_id=basics.pk, title="Installing Python", kind="video"
    )
    text = builder.add_lesson(
        seller_id=seller.pk, section_id=basics.pk, title="Reading the docs", kind="text"
    )
    quiz = builder.add_lesson(
        seller_id=seller.pk, section_id=further.pk, title="Check yourself", kind="quiz"
    )
    # The video part sets a video lesson's length once its upload is processed.
    Lesson.objects.filter(pk=video.pk).update(duration_seconds=90)
    builder.update_lesson(
        seller_id=seller.pk,
        lesson_id=video.pk,
        data=builder.LessonData(title="Installing Python", is_preview=True),
    )
    builder.update_lesson(
        seller_id=seller.pk,
        lesson_id=text.pk,
        data=builder.LessonData(title="Reading the docs", body="word " * 400),
    )
    recompute_course_duration(course_id=course.pk)
    return {
        "course": course,
        "basics": basics,
        "further": further,
        "video": video,
        "text": text,
        "quiz": quiz,
    }


class School:
    def __init__(self, make_tenant: Any, slug: str) -> None:
        self.slug = slug
        self.tenant = make_tenant(slug, modules=["courses"]).tenant
        self.seller = make_seller(self.tenant, f"{slug}-teacher", product_types=["course"])
        self.rival = make_seller(self.tenant, f"{slug}-rival", product_types=["course"])
        self.product = make_product(
            self.tenant, self.seller, "Python from Zero", price=4900, product_type="course"
        )
        self.rival_product = make_product(
            self.tenant, self.rival, "Rival Course", price=2900, product_type="course"
        )
        self.buyer = make_user(self.tenant, f"amara@{slug}.example", full_name="Amara Okafor")
        with schema_context(self.tenant.schema_name):
            built = build_course(self.seller, self.product.pk)
            self.course: Course = built["course"]
            self.basics, self.further = built["basics"], built["further"]
            self.video, self.text, self.quiz = built["video"], built["text"], built["quiz"]
            self.rival_course = builder.set_details(
                seller_id=self.rival.pk,
                product_id=self.rival_product.pk,
                data=builder.CourseDetails(),
            )
            self.rival_section = builder.add_section(
                seller_id=self.rival.pk, course_id=self.rival_course.pk, title="Theirs"
            )
            self.rival_lesson = builder.add_lesson(
                seller_id=self.rival.pk,
                section_id=self.rival_section.pk,
                title="Their lesson",
                kind="text",
            )

    def layout(self) -> list[tuple[int, list[int]]]:
        """The course's order as (section id, [lesson ids]) pairs."""
        with schema_context(self.tenant.schema_name):
            return builder._layout(self.course.pk)

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

    def client(self, user: User | None = None) -> Client:
        """A browser, signed in through the marketplace's login page when ``user`` is given."""
        client = Client(HTTP_HOST=host_of(self.tenant))
        if user is not None:
            response = client.post(
                "/accounts/login/", {"username": user.email, "password": PASSWORD}
            )
            assert response.status_code == 302
        return client

    def owner_of(self, seller: Seller) -> User:
        with schema_context(self.tenant.schema_name):
            return User.objects.get(pk=seller.owner_id)

    def seller_client(self, seller: Seller | None = None) -> Client:
        return self.client(self.owner_of(seller or self.seller))


@pytest.fixture(name="school")
def school_fixture(make_tenant: Any, time_machine: Any) -> School:
    time_machine.move_to(T0, tick=False)
    return School(make_tenant, "code-dojo")
