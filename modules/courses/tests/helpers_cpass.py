"""Course memberships in tests: the ``code-school`` academy (helpers_cprog) whose teacher also
sells a second course and an all-access membership at a monthly price, made through the
seller's services; buyers subscribe through the real cart, checkout and sandbox payment, and
the outbox is delivered as a worker would."""

from __future__ import annotations

import uuid
from typing import Any

from django_tenants.utils import schema_context

from core.accounts.models import User
from core.catalog.models import Product
from core.commerce.models import Order, RecurringPrice
from core.commerce.services.cart import add_product, get_or_create_cart
from core.commerce.services.checkout import CheckoutInput, checkout_cart
from core.events import dispatch_pending
from core.payments.providers.sandbox import SUCCESS_CARD
from core.sellers.models import Seller
from core.subscriptions.models import Subscription
from modules.courses.manifest import COURSE_PASS
from modules.courses.models import Course, CoursePass, Enrolment, Lesson, Section
from modules.courses.services import passes
from modules.courses.tests.helpers_cprog import Academy
from tests.catalog_helpers import make_product

MONTHLY = 1500


class Membership(Academy):
    """``self.course`` (Python from Zero, 7 lessons) and ``self.second`` (Data with Pandas,
    2 lessons) of the teacher; ``self.pass_product`` includes all of them at ``self.plan``."""

    def __init__(self, make_tenant: Any, slug: str) -> None:
        super().__init__(make_tenant, slug)
        for seller in (self.seller, self.rival):
            grant(self.tenant.schema_name, seller)
        self.second = self.add_course("Data with Pandas", lessons=2)
        self.pass_product = make_product(
            self.tenant, self.seller, "All-access membership", product_type=COURSE_PASS
        )
        with schema_context(self.tenant.schema_name):
            self.course_pass = passes.save_pass(
                seller_id=self.seller.pk,
                product_id=self.pass_product.pk,
                contents=passes.PassContents(includes_all=True),
            )
            self.plan = passes.set_plan(
                seller=self.seller,
                product_id=self.pass_product.pk,
                interval="month",
                amount=MONTHLY,
                currency="USD",
            )

    def add_course(self, name: str, *, lessons: int, seller: Seller | None = None) -> Course:
        product = make_product(self.tenant, seller or self.seller, name, product_type="course")
        with schema_context(self.tenant.schema_name):
            course = Course.objects.create(product=product, duration_seconds=60 * lessons)
            section = Section.objects.create(course=course, title="Basics", position=0)
            for position in range(lessons):
                Lesson.objects.create(
                    course=course,
                    section=section,
                    title=f"{name} {position + 1}",
                    kind="video",
                    position=position,
                    duration_seconds=60,
                )
            return course

    def subscribe(self, buyer: User, capture: Any, plan: RecurringPrice | None = None) -> Order:
        with schema_context(self.tenant.schema_name):
            cart = get_or_create_cart(buyer=buyer, token=None)
            add_product(
                cart=cart,
                product_id=self.pass_product.pk,
                recurring_price_id=(plan or self.plan).pk,
            )
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

    def subscription_of(self, buyer: User) -> Subscription:
        with schema_context(self.tenant.schema_name):
            return Subscription.objects.filter(buyer=buyer).latest("pk")

    def places(self, buyer: User) -> dict[int, tuple[bool, int | None, str]]:
        """course id -> (live?, pass id, reason) of the buyer's newest enrolment per course."""
        with schema_context(self.tenant.schema_name):
            rows = (
                Enrolment.objects.filter(buyer=buyer)
                .order_by("course_id", "-id")
                .distinct("course_id")
            )
            return {
                e.course_id: (e.revoked_at is None, e.via_pass_id, e.revoked_reason) for e in rows
            }

    def deliver(self) -> int:
        with schema_context(self.tenant.schema_name):
            return dispatch_pending(limit=1000)


def grant(schema: str, seller: Seller) -> None:
    with schema_context(schema):
        seller.product_type_grants = sorted({*seller.product_type_grants, COURSE_PASS})
        seller.save(update_fields=["product_type_grants"])


def pass_of(membership: Membership) -> CoursePass:
    with schema_context(membership.tenant.schema_name):
        return CoursePass.objects.get(product=membership.pass_product)


def product_of(course: Course) -> Product:
    return course.product
