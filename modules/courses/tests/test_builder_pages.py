"""The course builder in the studio: the seller's courses, the builder page (details, the
curriculum, sections and lessons added with errors beside the field and the typing kept),
the order posted by the drag and drop (exactly the course's sets, or the error shown and
nothing moved) and the up/down buttons that work without JavaScript, a lesson's edit page
(drip days or a date, not both; an earlier lesson as prerequisite; the video upload and the
quiz editor of the other parts), resources (a lying file refused beside the field, removed
from storage once gone). Another seller's pages and posts are 404, as are another
marketplace's and a marketplace with the module off."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from modules.courses.models import Course, Lesson, Resource, Section
from modules.courses.tests.helpers_cbuild import STUDIO, School, school_fixture  # noqa: F401
from tenants.schemas_sql import use_public_schema
from tenants.services.modules import set_module_enabled
from tests.catalog_helpers import make_product

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTMX = {"HX-Request": "true"}


def text(response: Any) -> str:
    return str(response.content.decode())


def test_the_seller_sees_their_courses_and_the_builder(school: School) -> None:
    owner = school.seller_client()
    with schema_context(school.tenant.schema_name):
        bare = make_product(
            school.tenant, school.seller, "Not built yet", price=900, product_type="course"
        )
    home = owner.get(f"{STUDIO}/")
    assert home.status_code == 200
    assert f'href="{STUDIO}/{school.product.pk}/"' in text(home)
    assert "2 sections" in text(home) and "3 lessons" in text(home)
    assert "Not set up yet" in text(home) and "Rival Course" not in text(home)

    page = owner.get(f"{STUDIO}/{school.product.pk}/")
    html = text(page)
    assert page.status_code == 200
    assert html.index("Basics") < html.index("Installing Python") < html.index("Going further")
    assert "Free preview" in html and "1:30" in html and "4 min of content" in html
    assert f'name="item" value="s{school.basics.pk}" form="cb-order"' in html
    assert "Sortable.min.js" in html and "builder.js" in html
    assert 'aria-label="Move Installing Python down"' in html

    new = owner.get(f"{STUDIO}/{bare.pk}/")
    assert new.status_code == 200 and "Save the course details below" in text(new)
    refused = owner.post(
        f"{STUDIO}/{bare.pk}/details/", {"language": "not a language!", "outcomes": "Kept"}
    )
    assert refused.status_code == 422
    assert 'id="cb-language-error"' in text(refused) and "Kept" in text(refused)
    saved = owner.post(f"{STUDIO}/{bare.pk}/details/", {"language": "de", "level": "Advanced"})
    assert (saved.status_code, saved["Location"]) == (302, f"{STUDIO}/{bare.pk}/")
    with schema_context(school.tenant.schema_name):
        course = Course.objects.get(product=bare)
        assert (course.language, course.level, course.issues_certificate) == (
            "de",
            "Advanced",
            False,
        )


def test_sections_and_lessons_are_added_with_errors_beside_the_field(school: School) -> None:
    owner = school.seller_client()
    add = f"{STUDIO}/c/{school.course.pk}/sections/"
    long_title = "A very long title " * 12
    refused = owner.post(add, {"title": long_title})
    assert refused.status_code == 422
    assert 'id="cb-new-section-title-error"' in text(refused)
    assert long_title.strip() in text(refused)  # what was typed is kept
    added = owner.post(add, {"title": "Projects"}, headers=HTMX)
    assert added.status_code == 200 and "Projects" in text(added)
    with schema_context(school.tenant.schema_name):
        projects = Section.objects.get(course=school.course, title="Projects")

    lesson = owner.post(f"{STUDIO}/sections/{projects.pk}/lessons/", {"title": "", "kind": "quiz"})
    assert lesson.status_code == 422
    assert f'id="cb-new-lesson-{projects.pk}-error"' in text(lesson)
    created = owner.post(
        f"{STUDIO}/sections/{projects.pk}/lessons/", {"title": "Capstone quiz", "kind": "quiz"}
    )
    assert created.status_code == 302
    renamed = owner.post(f"{STUDIO}/sections/{projects.pk}/", {"title": "Final project"})
    assert renamed.status_code == 302
    with schema_context(school.tenant.schema_name):
        assert Section.objects.get(pk=projects.pk).title == "Final project"
        assert Lesson.objects.get(section=projects).kind == "quiz"
    removed = owner.post(f"{STUDIO}/sections/{projects.pk}/remove/")
    assert removed.status_code == 302
    with schema_context(school.tenant.schema_name):
        assert not Section.objects.filter(pk=projects.pk).exists()


def test_the_drag_and_drop_order_and_the_buttons(school: School) -> None:
    owner = school.seller_client()
    order = f"{STUDIO}/c/{school.course.pk}/order/"
    (basics, (video, text_lesson)), (further, (quiz,)) = school.layout()

    wrong = owner.post(order, {"item": [f"s{basics}", f"l{video}", f"s{further}", f"l{quiz}"]})
    assert wrong.status_code == 422 and 'id="cb-order-error"' in text(wrong)
    garbled = owner.post(order, {"item": [f"l{video}", f"s{basics}"]}, headers=HTMX)
    assert garbled.status_code == 200 and "garbled" in text(garbled)
    assert school.layout() == [(basics, [video, text_lesson]), (further, [quiz])]

    moved = owner.post(
        order,
        {"item": [f"s{basics}", f"l{video}", f"s{further}", f"l{text_lesson}", f"l{quiz}"]},
        headers=HTMX,
    )
    assert moved.status_code == 200 and 'id="cb-curriculum"' in text(moved)
    assert school.layout() == [(basics, [video]), (further, [text_lesson, quiz])]

    # Without JavaScript: one step at a time, over the section's edge.
    assert (
        owner.post(f"{STUDIO}/lessons/{text_lesson}/step/", {"direction": "up"}).status_code == 302
    )
    assert school.layout() == [(basics, [video, text_lesson]), (further, [quiz])]
    owner.post(f"{STUDIO}/sections/{further}/step/", {"direction": "up"})
    assert school.layout() == [(further, [quiz]), (basics, [video, text_lesson])]
    assert owner.post(f"{STUDIO}/lessons/{quiz}/remove/").status_code == 302
    assert school.layout() == [(further, []), (basics, [video, text_lesson])]


def test_a_lessons_edit_page(school: School, django_capture_on_commit_callbacks: Any) -> None:
    owner = school.seller_client()
    page = f"{STUDIO}/lessons/{school.text.pk}/"
    shown = owner.get(page)
    assert shown.status_code == 200
    assert f'<option value="{school.video.pk}"' in text(shown)  # the earlier lesson
    assert f'<option value="{school.quiz.pk}"' not in text(shown)  # not a later one

    form = {
        "title": "Reading the docs",
        "body": "Typed with care",
        "is_required": "on",
        "min_seconds": "30",
        "drip_days": "3",
        "drip_date": "2027-03-01",
        "prerequisite_id": str(school.video.pk),
    }
    both = owner.post(page, form)
    assert both.status_code == 422
    assert 'id="cb-drip-date-error"' in text(both) and "not both" in text(both)
    assert "Typed with care" in text(both) and 'value="2027-03-01"' in text(both)
    bad_number = owner.post(page, {**form, "drip_date": "", "min_seconds": "ten"})
    assert bad_number.status_code == 422 and 'id="cb-min-seconds-error"' in text(bad_number)
    saved = owner.post(page, {**form, "drip_date": ""})
    assert (saved.status_code, saved["Location"]) == (302, page)
    with schema_context(school.tenant.schema_name):
        lesson = Lesson.objects.get(pk=school.text.pk)
        assert (lesson.drip_days, lesson.drip_date, lesson.prerequisite_id) == (
            3,
            None,
            school.video.pk,
        )
        assert (lesson.body, lesson.is_preview, lesson.duration_seconds) == (
            "<p>Typed with care</p>",
            False,
            30,
        )

    resources = f"{page}resources/"
    lying = owner.post(
        resources,
        {"title": "Slides", "file": SimpleUploadedFile("slides.pdf", b"#!/bin/sh\nrm -rf /\n")},
    )
    assert lying.status_code == 422
    assert 'id="cb-resource-file-error"' in text(lying) and 'value="Slides"' in text(lying)
    uploaded = owner.post(
        resources, {"title": "Slides", "file": SimpleUploadedFile("slides.pdf", PDF)}
    )
    assert uploaded.status_code == 302
    with schema_context(school.tenant.schema_name):
        resource = Resource.objects.get(lesson_id=school.text.pk)
        stored, storage = str(resource.content.name), resource.content.storage
        assert storage.exists(stored)
    assert "Slides" in text(owner.get(page))
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.post(f"{STUDIO}/resources/{resource.pk}/remove/").status_code == 302
    assert not storage.exists(stored)

    video_page = text(owner.get(f"{STUDIO}/lessons/{school.video.pk}/"))
    assert (
        f'data-course-video-lesson="{school.video.pk}"' in video_page
    )  # the video part's fragment
    quiz_page = text(owner.get(f"{STUDIO}/lessons/{school.quiz.pk}/"))
    assert f'href="{STUDIO}/lessons/{school.quiz.pk}/quiz/"' in quiz_page


def test_another_seller_another_marketplace_and_the_module_off(
    school: School, make_tenant: Any
) -> None:
    rival = school.seller_client(school.rival)
    assert rival.get(f"{STUDIO}/{school.product.pk}/").status_code == 404
    assert rival.get(f"{STUDIO}/lessons/{school.text.pk}/").status_code == 404
    posts = [
        (f"{STUDIO}/{school.product.pk}/details/", {"language": "fr"}),
        (f"{STUDIO}/c/{school.course.pk}/sections/", {"title": "Mine"}),
        (f"{STUDIO}/c/{school.course.pk}/order/", {"item": []}),
        (f"{STUDIO}/sections/{school.basics.pk}/", {"title": "Mine"}),
        (f"{STUDIO}/sections/{school.basics.pk}/remove/", {}),
        (f"{STUDIO}/sections/{school.basics.pk}/step/", {"direction": "down"}),
        (f"{STUDIO}/sections/{school.basics.pk}/lessons/", {"title": "x", "kind": "text"}),
        (f"{STUDIO}/lessons/{school.text.pk}/", {"title": "Mine"}),
        (f"{STUDIO}/lessons/{school.text.pk}/step/", {"direction": "up"}),
        (f"{STUDIO}/lessons/{school.text.pk}/remove/", {}),
        (
            f"{STUDIO}/lessons/{school.text.pk}/resources/",
            {"file": SimpleUploadedFile("a.pdf", PDF)},
        ),
    ]
    for path, data in posts:
        assert rival.post(path, data).status_code == 404, path
    with schema_context(school.tenant.schema_name):
        assert Section.objects.get(pk=school.basics.pk).title == "Basics"
        assert Lesson.objects.filter(course=school.course).count() == 3
        assert not Resource.objects.exists()
    assert "Python from Zero" not in text(rival.get(f"{STUDIO}/"))

    use_public_schema()
    elsewhere = School(make_tenant, "other-dojo")
    stranger = elsewhere.seller_client()
    if school.product.pk != elsewhere.product.pk:
        assert stranger.get(f"{STUDIO}/{school.product.pk}/").status_code == 404
    if school.text.pk not in (elsewhere.video.pk, elsewhere.text.pk, elsewhere.quiz.pk):
        assert stranger.get(f"{STUDIO}/lessons/{school.text.pk}/").status_code == 404

    owner = school.seller_client()
    set_module_enabled(tenant=school.tenant, key="courses", is_enabled=False)
    assert owner.get(f"{STUDIO}/{school.product.pk}/").status_code == 404
    assert (
        owner.post(f"{STUDIO}/c/{school.course.pk}/sections/", {"title": "Off"}).status_code == 404
    )
    with schema_context(school.tenant.schema_name):
        assert not Section.objects.filter(title="Off").exists()
