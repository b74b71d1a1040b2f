"""The course builder's services: details, sections and lessons with their rules (drip on a
day or a date, never both; a prerequisite is an earlier lesson of the same course, never a
circle), the whole order at once (exactly the course's sections and lessons, a prerequisite
never after its lesson), moves within and between sections, text lessons' reading time and
the course's duration, resources judged by their content within the operator's limit, and
another seller's course, section, lesson or resource not found."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from django_tenants.utils import schema_context

from core.errors import DomainError, ErrorKind
from modules.courses.models import Course, Lesson, Quiz, Resource, Section
from modules.courses.services import builder
from modules.courses.services.curriculum import public_outline
from modules.courses.tests.helpers_cbuild import School, school_fixture  # noqa: F401
from tenants.services.modules import set_module_enabled

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def refused(call: Any, field: str, kind: ErrorKind = ErrorKind.INVALID) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.kind == kind, caught.value.message
    if kind == ErrorKind.INVALID:
        assert caught.value.details["field"] == field, caught.value.details
    return caught.value


def lesson_data(lesson: Lesson, **changes: Any) -> builder.LessonData:
    base = {
        "title": lesson.title,
        "body": lesson.body,
        "is_preview": lesson.is_preview,
        "is_required": lesson.is_required,
        "min_seconds": lesson.min_seconds,
        "drip_days": lesson.drip_days,
        "drip_date": lesson.drip_date,
        "prerequisite_id": lesson.prerequisite_id,
    }
    return builder.LessonData(**{**base, **changes})


def test_the_builder_lays_out_a_course_and_computes_its_duration(school: School) -> None:
    with schema_context(school.tenant.schema_name):
        course = Course.objects.get(pk=school.course.pk)
        assert (course.level, course.language) == ("Beginner", "en")
        assert [s.title for s in Section.objects.filter(course=course)] == [
            "Basics",
            "Going further",
        ]
        assert [(s.position) for s in Section.objects.filter(course=course)] == [1, 2]
        text = Lesson.objects.get(pk=school.text.pk)
        # 400 words at 200 a minute: two minutes of reading.
        assert text.duration_seconds == 120
        assert text.body.startswith("<p>word word")
        assert course.duration_seconds == 90 + 120
        assert Quiz.objects.filter(lesson_id=school.quiz.pk).exists()
        assert not Quiz.objects.filter(lesson_id=school.text.pk).exists()

        # A minimum time longer than the reading time is the lesson's length.
        builder.update_lesson(
            seller_id=school.seller.pk,
            lesson_id=text.pk,
            data=lesson_data(text, min_seconds=300),
        )
        assert Course.objects.get(pk=course.pk).duration_seconds == 90 + 300

        builder.remove_lesson(seller_id=school.seller.pk, lesson_id=school.video.pk)
        assert Course.objects.get(pk=course.pk).duration_seconds == 300
        assert [row.position for row in Lesson.objects.filter(section=school.basics)] == [1]

        outline = public_outline(course_id=course.pk)
        assert [s.title for s in outline.sections] == ["Basics", "Going further"]
        assert [[lesson.title for lesson in s.lessons] for s in outline.sections] == [
            ["Reading the docs"],
            ["Check yourself"],
        ]
        assert outline.duration_label == "5 min"


def test_text_lesson_html_is_sanitised(school: School) -> None:
    with schema_context(school.tenant.schema_name):
        text = Lesson.objects.get(pk=school.text.pk)
        saved = builder.update_lesson(
            seller_id=school.seller.pk,
            lesson_id=text.pk,
            data=lesson_data(
                text,
                body='<h2 onclick="x()">Docs</h2><script>alert(1)</script>'
                '<p style="color:red">Read <a href="javascript:alert(1)">this</a> and '
                '<a href="https://docs.python.org">that</a></p>',
            ),
        )
        assert "<script" not in saved.body and "onclick" not in saved.body
        assert "javascript:" not in saved.body and "style=" not in saved.body
        assert "<h2>Docs</h2>" in saved.body
        assert 'href="https://docs.python.org"' in saved.body
        plain = builder.update_lesson(
            seller_id=school.seller.pk,
            lesson_id=text.pk,
            data=lesson_data(text, body="First <b line\n\nSecond & last"),
        )
        assert "<b" not in plain.body.replace("<br>", "")  # an unclosed tag is not markup
        assert "Second &amp; last" in plain.body


def test_drip_is_days_or_a_date_never_both(school: School) -> None:
    with schema_context(school.tenant.schema_name):
        video = Lesson.objects.get(pk=school.video.pk)
        seller = school.seller.pk
        both = lesson_data(video, drip_days=7, drip_date=date(2027, 1, 1))
        error = refused(
            lambda: builder.update_lesson(seller_id=seller, lesson_id=video.pk, data=both),
            "drip_date",
        )
        assert "not both" in error.message
        refused(
            lambda: builder.update_lesson(
                seller_id=seller, lesson_id=video.pk, data=lesson_data(video, drip_days=5000)
            ),
            "drip_days",
        )
        assert Lesson.objects.get(pk=video.pk).drip_days is None  # nothing written
        builder.update_lesson(
            seller_id=seller, lesson_id=video.pk, data=lesson_data(video, drip_days=7)
        )
        builder.update_lesson(
            seller_id=seller,
            lesson_id=video.pk,
            data=lesson_data(video, drip_date=date(2027, 1, 1)),
        )
        saved = Lesson.objects.get(pk=video.pk)
        assert (saved.drip_days, saved.drip_date) == (None, date(2027, 1, 1))


def test_a_prerequisite_is_an_earlier_lesson_of_the_course_never_a_circle(
    school: School,
) -> None:
    with schema_context(school.tenant.schema_name):
        seller = school.seller.pk
        video, text, quiz = (
            Lesson.objects.get(pk=x.pk) for x in (school.video, school.text, school.quiz)
        )

        def set_prerequisite(lesson: Lesson, prerequisite_id: int | None) -> Lesson:
            return builder.update_lesson(
                seller_id=seller,
                lesson_id=lesson.pk,
                data=lesson_data(lesson, prerequisite_id=prerequisite_id),
            )

        refused(lambda: set_prerequisite(video, video.pk), "prerequisite_id")
        refused(lambda: set_prerequisite(video, quiz.pk), "prerequisite_id")  # a later one
        refused(lambda: set_prerequisite(video, school.rival_lesson.pk), "prerequisite_id")
        assert set_prerequisite(quiz, text.pk).prerequisite_id == text.pk
        assert set_prerequisite(text, video.pk).prerequisite_id == video.pk

        # Moving the quiz before the lesson it needs is refused, nothing moves.
        layout = school.layout()
        swapped = [(layout[1][0], layout[1][1]), (layout[0][0], layout[0][1])]
        refused(
            lambda: builder.reorder(seller_id=seller, course_id=school.course.pk, layout=swapped),
            "lessons",
        )
        assert school.layout() == layout
        # Sections swapped one step (the buttons) are refused the same way.
        refused(
            lambda: builder.step_section(seller_id=seller, section_id=school.further.pk, up=True),
            "order",
        )

        # Freed of prerequisites, "Going further" goes first; now the video may need the
        # quiz, the quiz can never need the video (a later lesson: no circle), and the
        # sections cannot swap back while the video needs the quiz.
        set_prerequisite(Lesson.objects.get(pk=quiz.pk), None)
        set_prerequisite(Lesson.objects.get(pk=text.pk), None)
        builder.reorder(seller_id=seller, course_id=school.course.pk, layout=swapped)
        set_prerequisite(Lesson.objects.get(pk=video.pk), quiz.pk)
        refused(
            lambda: set_prerequisite(Lesson.objects.get(pk=quiz.pk), video.pk),
            "prerequisite_id",
        )
        refused(
            lambda: builder.reorder(seller_id=seller, course_id=school.course.pk, layout=layout),
            "lessons",
        )
        assert school.layout() == swapped


def test_reorder_takes_exactly_the_courses_sections_and_lessons(school: School) -> None:
    with schema_context(school.tenant.schema_name):
        seller, course_id = school.seller.pk, school.course.pk
        (basics, (video, text)), (further, (quiz,)) = school.layout()

        def reorder(layout: list[tuple[int, list[int]]]) -> Any:
            return builder.reorder(seller_id=seller, course_id=course_id, layout=layout)

        refused(lambda: reorder([(basics, [video, text, quiz])]), "sections")
        refused(lambda: reorder([(basics, [video]), (further, [quiz])]), "lessons")
        refused(lambda: reorder([(basics, [video, text, text]), (further, [quiz])]), "lessons")
        refused(
            lambda: reorder([(basics, [video, text, school.rival_lesson.pk]), (further, [quiz])]),
            "lessons",
        )
        refused(
            lambda: reorder([(basics, [video, text]), (school.rival_section.pk, [quiz])]),
            "sections",
        )
        assert school.layout() == [(basics, [video, text]), (further, [quiz])]

        reorder([(further, [text, quiz]), (basics, [video])])
        assert school.layout() == [(further, [text, quiz]), (basics, [video])]
        assert Lesson.objects.get(pk=text).section_id == further
        assert [s.position for s in Section.objects.filter(course_id=course_id)] == [1, 2]


def test_lessons_move_within_and_between_sections(school: School) -> None:
    with schema_context(school.tenant.schema_name):
        seller = school.seller.pk
        (basics, (video, text)), (further, (quiz,)) = school.layout()
        builder.move_lesson(seller_id=seller, lesson_id=text, section_id=basics, position=1)
        assert school.layout() == [(basics, [text, video]), (further, [quiz])]
        builder.move_lesson(seller_id=seller, lesson_id=video, section_id=further, position=99)
        assert school.layout() == [(basics, [text]), (further, [quiz, video])]
        refused(
            lambda: builder.move_lesson(
                seller_id=seller, lesson_id=quiz, section_id=school.rival_section.pk, position=1
            ),
            "section_id",
        )
        # One step at a time (the buttons): over a section's edge into the next one.
        builder.step_lesson(seller_id=seller, lesson_id=text, up=False)
        assert school.layout() == [(basics, []), (further, [text, quiz, video])]
        builder.step_lesson(seller_id=seller, lesson_id=text, up=True)
        assert school.layout() == [(basics, [text]), (further, [quiz, video])]
        builder.step_lesson(seller_id=seller, lesson_id=text, up=True)  # already first
        assert school.layout() == [(basics, [text]), (further, [quiz, video])]
        positions = list(
            Lesson.objects.filter(section_id=further)
            .order_by("position")
            .values_list("position", flat=True)
        )
        assert positions == [1, 2]


def test_sections_are_renamed_moved_and_removed_with_their_lessons(school: School) -> None:
    with schema_context(school.tenant.schema_name):
        seller = school.seller.pk
        refused(
            lambda: builder.add_section(seller_id=seller, course_id=school.course.pk, title="  "),
            "title",
        )
        refused(
            lambda: builder.rename_section(
                seller_id=seller, section_id=school.basics.pk, title="x" * 201
            ),
            "title",
        )
        builder.rename_section(seller_id=seller, section_id=school.basics.pk, title=" Start  here ")
        assert Section.objects.get(pk=school.basics.pk).title == "Start here"
        third = builder.add_section(seller_id=seller, course_id=school.course.pk, title="Extras")
        builder.step_section(seller_id=seller, section_id=third.pk, up=True)
        assert list(
            Section.objects.filter(course=school.course).values_list("title", flat=True)
        ) == ["Start here", "Extras", "Going further"]
        builder.remove_section(seller_id=seller, section_id=school.basics.pk)
        assert not Lesson.objects.filter(pk__in=[school.video.pk, school.text.pk]).exists()
        assert list(
            Section.objects.filter(course=school.course).values_list("position", flat=True)
        ) == [1, 2]
        assert Course.objects.get(pk=school.course.pk).duration_seconds == 0
        refused(
            lambda: builder.add_lesson(
                seller_id=seller, section_id=third.pk, title="Lesson", kind="podcast"
            ),
            "kind",
        )


def test_resources_are_judged_by_content_within_the_limit(school: School) -> None:
    with schema_context(school.tenant.schema_name):
        seller = school.seller.pk

        def add(name: str, content: bytes, size: int | None = None) -> Resource:
            return builder.add_resource(
                seller_id=seller,
                lesson_id=school.text.pk,
                title="",
                name=name,
                stream=io.BytesIO(content),
                size=len(content) if size is None else size,
            )

        lying = refused(lambda: add("slides.pdf", b"MZ\x90\x00 a program, not a PDF"), "file")
        assert "programs and scripts" in lying.message
        refused(lambda: add("notes.txt", b"\xff\xfe\x00\x01binary" * 10), "file")
        refused(lambda: add("slides.pdf", b""), "file")
        too_big = refused(
            lambda: add("slides.pdf", PDF, size=201 * 1024 * 1024), "file", ErrorKind.TOO_LARGE
        )
        assert "200 MB" in too_big.message
        assert not Resource.objects.exists()

        added = add("slides.pdf", PDF)
        assert (added.title, added.content_type, added.size) == (
            "slides.pdf",
            "application/pdf",
            len(PDF),
        )
        with added.content.open("rb") as stored:
            assert stored.read() == PDF
        name = str(added.content.name)
        storage = added.content.storage
        refused(
            lambda: builder.remove_resource(seller_id=school.rival.pk, resource_id=added.pk),
            "",
            ErrorKind.NOT_FOUND,
        )
        builder.remove_resource(seller_id=seller, resource_id=added.pk)
        assert not Resource.objects.exists()
        assert storage.exists(name)  # deleted once the removal commits (see the page test)


def test_the_operators_resource_limit_applies(school: School) -> None:
    set_module_enabled(
        tenant=school.tenant, key="courses", is_enabled=True, config={"max_resource_mb": 1}
    )
    with schema_context(school.tenant.schema_name):
        refused(
            lambda: builder.add_resource(
                seller_id=school.seller.pk,
                lesson_id=school.text.pk,
                title="Big",
                name="big.pdf",
                stream=io.BytesIO(PDF),
                size=2 * 1024 * 1024,
            ),
            "file",
            ErrorKind.TOO_LARGE,
        )


def test_another_sellers_course_is_not_found(school: School) -> None:
    with schema_context(school.tenant.schema_name):
        rival = school.rival.pk
        calls = [
            lambda: builder.set_details(
                seller_id=rival, product_id=school.product.pk, data=builder.CourseDetails()
            ),
            lambda: builder.add_section(seller_id=rival, course_id=school.course.pk, title="Mine"),
            lambda: builder.rename_section(seller_id=rival, section_id=school.basics.pk, title="x"),
            lambda: builder.remove_section(seller_id=rival, section_id=school.basics.pk),
            lambda: builder.add_lesson(
                seller_id=rival, section_id=school.basics.pk, title="x", kind="text"
            ),
            lambda: builder.update_lesson(
                seller_id=rival, lesson_id=school.text.pk, data=builder.LessonData(title="x")
            ),
            lambda: builder.remove_lesson(seller_id=rival, lesson_id=school.text.pk),
            lambda: builder.reorder(seller_id=rival, course_id=school.course.pk, layout=[]),
            lambda: builder.step_lesson(seller_id=rival, lesson_id=school.text.pk, up=True),
        ]
        for call in calls:
            refused(call, "", ErrorKind.NOT_FOUND)
        assert Section.objects.get(pk=school.basics.pk).title == "Basics"
        assert Lesson.objects.filter(course=school.course).count() == 3
