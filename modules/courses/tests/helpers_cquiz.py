"""A course marketplace for the quiz tests: a seller's course with a quiz lesson holding one
question of every kind, a rival seller with a quiz of their own, a buyer enrolled by buying
the course the one real way (cart, checkout, fulfilment after commit) and a second buyer who
did not buy it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.commerce.services.cart import add_product, get_or_create_cart
from core.commerce.services.checkout import CheckoutInput, checkout_cart
from core.events import dispatch_pending
from core.payments.providers.sandbox import SUCCESS_CARD
from core.sellers.models import Seller
from modules.courses.models import Course, Enrolment, Lesson, LessonKind, Question, Quiz, Section
from modules.courses.services import quizzes
from modules.courses.services.quizzes import ChoiceData, QuestionData
from tests.accounts_helpers import make_user, sign_in
from tests.catalog_helpers import make_product, make_seller

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

# What tells the answer, as words that appear nowhere else on a page or in the API (accepted
# short answers, explanations, the correctness flag): a test asserts none of them is in any
# response before the attempt is submitted.
BANK: list[QuestionData] = [
    QuestionData(
        kind="single",
        prompt="Which planet is the largest?",
        explanation="Zephyrine note: Jupiter is over twice Saturn's mass.",
        points=2,
        choices=[
            ChoiceData("Jupiterquux", is_correct=True),
            ChoiceData("Mars"),
            ChoiceData("Venus"),
        ],
    ),
    QuestionData(
        kind="multiple",
        prompt="Which of these are prime?",
        explanation="Primes have exactly two divisors.",
        choices=[
            ChoiceData("Seven", is_correct=True),
            ChoiceData("Eleven", is_correct=True),
            ChoiceData("Nine"),
        ],
    ),
    QuestionData(
        kind="true_false",
        prompt="Water boils at 100 degrees Celsius at sea level.",
        choices=[ChoiceData("True", is_correct=True), ChoiceData("False")],
    ),
    QuestionData(
        kind="short",
        prompt="Name the capital of Iceland.",
        accepted_answers=["Reykjavíkwort", "Reykjavikwort city"],
    ),
    QuestionData(
        kind="ordering",
        prompt="Put these in order, smallest first.",
        choices=[ChoiceData("Atom"), ChoiceData("Cell"), ChoiceData("Planet")],
    ),
]
SECRETS = ["Reykjav", "Zephyrine", "correct", "accepted", "explanation"]


class School:
    def __init__(self, make_tenant: Any, slug: str, capture: Any) -> None:
        self.capture = capture
        self.slug = slug
        self.tenant = make_tenant(slug, modules=["courses"]).tenant
        self.seller = make_seller(self.tenant, f"{slug}-tutor", product_types=["course"])
        self.rival = make_seller(self.tenant, f"{slug}-rival", product_types=["course"])
        self.product = make_product(
            self.tenant, self.seller, "Astronomy Basics", price=4900, product_type="course"
        )
        self.buyer = make_user(self.tenant, f"amara@{slug}.example", full_name="Amara Okafor")
        self.stranger = make_user(self.tenant, f"bo@{slug}.example", full_name="Bo Lind")
        with schema_context(self.tenant.schema_name):
            self.course = Course.objects.create(product=self.product)
            section = Section.objects.create(course=self.course, title="Week 1")
            self.lesson = Lesson.objects.create(
                course=self.course, section=section, title="Check yourself", kind=LessonKind.QUIZ
            )
            self.quiz = Quiz.objects.create(lesson=self.lesson, pass_percent=60)
            self.questions = [
                quizzes.add_question(seller_id=self.seller.pk, lesson_id=self.lesson.pk, data=q)
                for q in BANK
            ]
            rival_product = make_product(
                self.tenant, self.rival, "Rival course", price=900, product_type="course"
            )
            rival_course = Course.objects.create(product=rival_product)
            rival_section = Section.objects.create(course=rival_course, title="Only")
            self.rival_lesson = Lesson.objects.create(
                course=rival_course, section=rival_section, title="Rival quiz", kind="quiz"
            )
            Quiz.objects.create(lesson=self.rival_lesson)

    def buy(self, buyer: User) -> Enrolment:
        with schema_context(self.tenant.schema_name):
            cart = get_or_create_cart(buyer=buyer, token=None)
            add_product(cart=cart, product_id=self.product.pk)
            with self.capture(execute=True):
                checkout_cart(
                    buyer=buyer,
                    cart=cart,
                    details=CheckoutInput(country="DE"),
                    idempotency_key=uuid.uuid4().hex,
                    payment_method=SUCCESS_CARD,
                )
            dispatch_pending()
            return Enrolment.objects.get(course=self.course, buyer=buyer, revoked_at=None)

    def question(self, kind: str) -> Question:
        with schema_context(self.tenant.schema_name):
            return Question.objects.prefetch_related("choices").get(quiz=self.quiz, kind=kind)

    def right_answers(self) -> list[dict[str, Any]]:
        """Every question answered right, as the API takes it."""
        answers = []
        with schema_context(self.tenant.schema_name):
            for question in Question.objects.filter(quiz=self.quiz).prefetch_related("choices"):
                choices = list(question.choices.all())
                if question.kind == "short":
                    answers.append({"question_id": question.pk, "text": " reykjavikWORT "})
                elif question.kind == "ordering":
                    ids = [c.pk for c in choices]
                    answers.append({"question_id": question.pk, "choice_ids": ids})
                else:
                    ids = [c.pk for c in choices if c.is_correct]
                    answers.append({"question_id": question.pk, "choice_ids": ids})
        return answers


def signed_in(client_for: Any, tenant: Any, user: User) -> Client:
    client = client_for(tenant)
    assert sign_in(client, user.email).status_code == 200
    return client


def seller_client(client_for: Any, school: School, seller: Seller) -> Client:
    with schema_context(school.tenant.schema_name):
        owner = User.objects.get(pk=seller.owner_id)
    return signed_in(client_for, school.tenant, owner)


def make_school(
    make_tenant: Any, time_machine: Any, capture: Any, slug: str = "star-school"
) -> School:
    """For each test file's ``school`` fixture: the clock stopped at T0."""
    time_machine.move_to(T0, tick=False)
    return School(make_tenant, slug, capture)
