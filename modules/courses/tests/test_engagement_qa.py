"""Lesson Q&A: an enrolled student asks under a lesson and the seller is told; the seller
(owner or a teammate who manages products) replies as the instructor and the asker is told;
another student replies too. Someone not enrolled can neither post nor read a lesson's
threads (a preview lesson's threads they can read, not post to); a refunded student is
closed out; another seller cannot answer; the partial the learning page includes loads its
threads over htmx and swaps in place after a post."""

from __future__ import annotations

from django_tenants.utils import schema_context

from core.notifications.models import Notification
from core.sellers.models import TeamMember
from modules.courses.models import LessonQuestion, LessonReply
from modules.courses.tests.helpers_ccert import Academy, academy  # noqa: F401
from tests.accounts_helpers import make_user

HX = {"HX-Request": "true"}


def notices(shop: Academy, type_key: str) -> list[Notification]:
    with schema_context(shop.tenant.schema_name):
        return list(Notification.objects.filter(type_key=type_key).order_by("id"))


def test_a_student_asks_the_instructor_replies_and_each_is_told(academy: Academy) -> None:  # noqa: F811
    academy.enrol(academy.buyer)
    student = academy.client(academy.buyer)
    url = f"/courses/lessons/{academy.video.pk}/questions/"

    asked = student.post(
        f"{url}ask/", {"title": "Which brush?", "body": "Round or flat for washes?"}, headers=HX
    )
    assert asked.status_code == 200
    html = asked.content.decode()
    assert f'id="qa-{academy.video.pk}"' in html and "Which brush?" in html
    with schema_context(academy.tenant.schema_name):
        question = LessonQuestion.objects.get()
        assert (question.author_id, question.answered_at) == (academy.buyer.pk, None)
    (told_seller,) = notices(academy, "courses.question")
    assert told_seller.user_id == academy.seller.owner_id
    assert told_seller.url == f"/studio/courses/students/{academy.course.pk}/questions/"

    seller = academy.client(academy.seller_owner())
    answered = seller.post(
        f"/api/v1/courses/seller/questions/{question.pk}/replies",
        {"body": "A round size 10."},
        content_type="application/json",
    )
    assert answered.status_code == 201 and answered.json()["is_instructor"] is True
    (told_asker,) = notices(academy, "courses.reply")
    assert told_asker.user_id == academy.buyer.pk
    assert told_asker.url == url

    thread = student.get(url, headers=HX).content.decode()
    assert "A round size 10." in thread and "Instructor" in thread and "Answered" in thread
    with schema_context(academy.tenant.schema_name):
        question.refresh_from_db()
        assert question.answered_at is not None

    # The asker replying in their own thread tells nobody.
    student.post(f"/courses/questions/{question.pk}/reply/", {"body": "Thanks!"}, headers=HX)
    assert len(notices(academy, "courses.reply")) == 1


def test_a_teammate_replies_as_instructor_from_the_lesson(academy: Academy) -> None:  # noqa: F811
    academy.enrol(academy.buyer)
    academy.client(academy.buyer).post(
        f"/courses/lessons/{academy.video.pk}/questions/ask/",
        {"title": "Paper?", "body": "Which paper weight?"},
    )
    teammate = make_user(academy.tenant, "ta@paint-school.example", full_name="Tess Assist")
    with schema_context(academy.tenant.schema_name):
        TeamMember.objects.create(
            seller=academy.seller, user=teammate, permissions=["manage_products"]
        )
        question = LessonQuestion.objects.get()
    response = academy.client(teammate).post(
        f"/courses/questions/{question.pk}/reply/", {"body": "300 gsm."}, headers=HX
    )
    assert response.status_code == 200
    with schema_context(academy.tenant.schema_name):
        reply = LessonReply.objects.get()
        assert (reply.author_id, reply.is_instructor) == (teammate.pk, True)
    # A teammate was told of the question too.
    asked = notices(academy, "courses.question")
    assert {n.user_id for n in asked} == {academy.seller.owner_id}  # the teammate came later


def test_not_enrolled_cannot_read_or_post_and_a_preview_is_read_only(academy: Academy) -> None:  # noqa: F811
    enrolment = academy.enrol(academy.buyer)
    academy.client(academy.buyer).post(
        f"/courses/lessons/{academy.video.pk}/questions/ask/",
        {"title": "Secret", "body": "Enrolled-only question"},
    )
    with schema_context(academy.tenant.schema_name):
        question = LessonQuestion.objects.get()
    outsider = academy.client(academy.other_buyer)
    lesson_url = f"/courses/lessons/{academy.video.pk}/questions/"

    assert outsider.get(lesson_url).status_code == 404
    assert outsider.post(f"{lesson_url}ask/", {"title": "x", "body": "y"}).status_code == 404
    assert (
        outsider.post(f"/courses/questions/{question.pk}/reply/", {"body": "z"}).status_code == 404
    )
    api = outsider.get(f"/api/v1/courses/lessons/{academy.video.pk}/questions")
    assert api.status_code == 404
    assert academy.client().get(lesson_url).status_code == 404

    preview = outsider.get(f"/courses/lessons/{academy.intro.pk}/questions/")
    assert preview.status_code == 200
    assert "Enrol on the course to ask questions" in preview.content.decode()
    refused = outsider.post(
        f"/api/v1/courses/lessons/{academy.intro.pk}/questions",
        {"title": "x", "body": "y"},
        content_type="application/json",
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_enrolled"

    # A refunded student is closed out like anyone else.
    academy.refund(enrolment)
    assert academy.client(academy.buyer).get(lesson_url).status_code == 404
    with schema_context(academy.tenant.schema_name):
        assert LessonQuestion.objects.count() == 1
        assert LessonReply.objects.count() == 0


def test_another_seller_cannot_answer_or_list(academy: Academy) -> None:  # noqa: F811
    academy.enrol(academy.buyer)
    academy.client(academy.buyer).post(
        f"/courses/lessons/{academy.video.pk}/questions/ask/",
        {"title": "Q", "body": "Body"},
    )
    with schema_context(academy.tenant.schema_name):
        question = LessonQuestion.objects.get()
    rival = academy.client(academy.seller_owner(rival=True))
    assert (
        rival.post(
            f"/api/v1/courses/seller/questions/{question.pk}/replies",
            {"body": "Hijack"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert rival.post(f"/courses/questions/{question.pk}/reply/", {"body": "x"}).status_code == 404
    assert (
        rival.get(f"/api/v1/courses/seller/courses/{academy.course.pk}/questions").status_code
        == 404
    )
    with schema_context(academy.tenant.schema_name):
        assert LessonReply.objects.count() == 0

    own = academy.client(academy.seller_owner()).get(
        f"/api/v1/courses/seller/courses/{academy.course.pk}/questions?unanswered=true"
    )
    assert own.status_code == 200 and [row["title"] for row in own.json()] == ["Q"]


def test_questions_are_checked_and_errors_shown_beside_the_field(academy: Academy) -> None:  # noqa: F811
    academy.enrol(academy.buyer)
    student = academy.client(academy.buyer)
    response = student.post(
        f"/courses/lessons/{academy.video.pk}/questions/ask/",
        {"title": "", "body": "No title"},
        headers=HX,
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'aria-invalid="true"' in html
    assert "Write a short title." in html and "No title" in html  # kept in the form
    api = student.post(
        f"/api/v1/courses/lessons/{academy.video.pk}/questions",
        {"title": "t", "body": "x" * 5001},
        content_type="application/json",
    )
    assert api.status_code == 422
    with schema_context(academy.tenant.schema_name):
        assert LessonQuestion.objects.count() == 0


def test_the_partial_loads_itself_over_htmx(academy: Academy) -> None:  # noqa: F811
    from django.template.loader import render_to_string

    with schema_context(academy.tenant.schema_name):
        shell = render_to_string("courses/_qa.html", {"lesson": academy.video})
    assert f'hx-get="/courses/lessons/{academy.video.pk}/questions/"' in shell
    assert 'hx-trigger="load"' in shell and f'id="qa-{academy.video.pk}"' in shell


def test_reading_threads_does_not_grow_with_the_threads(academy: Academy) -> None:  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    academy.enrol(academy.buyer)
    student = academy.client(academy.buyer)
    url = f"/courses/lessons/{academy.video.pk}/questions/"

    def ask_and_reply(n: int) -> None:
        student.post(f"{url}ask/", {"title": f"Q{n}", "body": "Body"})
        with schema_context(academy.tenant.schema_name):
            question = LessonQuestion.objects.get(title=f"Q{n}")
        student.post(f"/courses/questions/{question.pk}/reply/", {"body": "Me too"})

    ask_and_reply(1)
    with CaptureQueriesContext(connection) as one:
        assert student.get(url, headers=HX).status_code == 200
    for n in range(2, 6):
        ask_and_reply(n)
    with CaptureQueriesContext(connection) as five:
        html = student.get(url, headers=HX).content.decode()
    assert html.count('data-question="') == 5
    assert len(five.captured_queries) == len(one.captured_queries)
