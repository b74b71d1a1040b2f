"""A course's product page: the curriculum (sections, lesson titles and lengths, free
previews linked to their learning page), the total duration, what you will learn, level and
language, with the default buy box; an enrolled buyer sees "Go to course" instead; a draft
lesson's body never shows; with the module off, none of it. The studio's product wizard
offers the course step."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.utils import timezone
from django_tenants.utils import schema_context

from modules.courses.models import Course, Enrolment, Lesson
from modules.courses.services import builder
from modules.courses.storefront import panel
from modules.courses.tests.helpers_cbuild import School, school_fixture  # noqa: F401
from tenants.services.modules import set_module_enabled
from tests.fleet_helpers import host_of


def page(school: School, client: Client | None = None) -> tuple[int, str]:
    response = (client or Client(HTTP_HOST=host_of(school.tenant))).get(
        f"/p/{school.product.slug}/"
    )
    return response.status_code, response.content.decode()


def test_the_landing_page_shows_the_curriculum_and_previews(school: School) -> None:
    with schema_context(school.tenant.schema_name):
        Lesson.objects.filter(pk=school.text.pk).update(body="<p>SECRET LESSON TEXT</p>")
    status, html = page(school)
    assert status == 200
    assert "Curriculum" in html
    assert html.index("Basics") < html.index("Installing Python") < html.index("Reading the docs")
    assert (
        html.index("Reading the docs") < html.index("Going further") < html.index("Check yourself")
    )
    preview = f'href="/courses/{school.course.pk}/learn/{school.video.pk}/" data-preview'
    assert preview in html and "Free preview" in html
    assert f"/learn/{school.text.pk}/" not in html  # not a preview: no link
    assert "1:30" in html and "2:00" in html  # the video's and the reading time
    assert "4 min" in html and "3 lessons" in html
    assert "Write small programs" in html and "Read error messages" in html
    assert "Beginner" in html and "English" in html
    assert "SECRET LESSON TEXT" not in html
    assert 'id="add-to-cart"' in html and "Go to course" not in html


def test_an_enrolled_buyer_goes_to_the_course_instead_of_buying(
    school: School, django_capture_on_commit_callbacks: Any
) -> None:
    enrolment = school.enrol(school.buyer, django_capture_on_commit_callbacks)
    status, html = page(school, school.client(school.buyer))
    assert status == 200
    assert "Go to course" in html and 'id="add-to-cart"' not in html
    assert f'href="/courses/{school.course.pk}/learn/{school.video.pk}/"' in html
    with schema_context(school.tenant.schema_name):
        Enrolment.objects.filter(pk=enrolment.pk).update(last_lesson_id=school.quiz.pk)
    _, html = page(school, school.client(school.buyer))
    assert (
        f'class="button course-go" href="/courses/{school.course.pk}/learn/{school.quiz.pk}/"'
        in html
    )
    # Someone else still buys.
    _, other = page(school, school.client(school.owner_of(school.rival)))
    assert 'id="add-to-cart"' in other and "Go to course" not in other


def test_a_refunded_buyer_buys_again(
    school: School, django_capture_on_commit_callbacks: Any
) -> None:
    enrolment = school.enrol(school.buyer, django_capture_on_commit_callbacks)
    with schema_context(school.tenant.schema_name):
        Enrolment.objects.filter(pk=enrolment.pk).update(revoked_at=timezone.now())
    _, html = page(school, school.client(school.buyer))
    assert 'id="add-to-cart"' in html and "Go to course" not in html


def test_with_the_module_off_the_page_has_no_curriculum(school: School) -> None:
    set_module_enabled(tenant=school.tenant, key="courses", is_enabled=False)
    status, html = page(school)
    assert "Installing Python" not in html and "Curriculum" not in html
    assert status in (200, 404)


def test_a_course_product_without_details_has_no_panel(school: School) -> None:
    with schema_context(school.tenant.schema_name):
        Course.objects.filter(pk=school.rival_course.pk).delete()
    response = Client(HTTP_HOST=host_of(school.tenant)).get(f"/p/{school.rival_product.slug}/")
    assert response.status_code == 200 and "Curriculum" not in response.content.decode()


def test_the_product_wizard_offers_the_course_step(school: School) -> None:
    owner = school.seller_client()
    step = f"/studio/products/{school.rival_product.pk}/details/"
    rival = school.seller_client(school.rival)
    shown = rival.get(step)
    assert shown.status_code == 200 and "What students will learn" in shown.content.decode()
    assert f"/studio/courses/{school.rival_product.pk}/" in shown.content.decode()
    saved = rival.post(
        step,
        {"level": "Advanced", "language": "fr", "outcomes": "A\nB", "issues_certificate": "on"},
    )
    assert saved.status_code in (200, 302), saved.content.decode()[:2000]
    with schema_context(school.tenant.schema_name):
        course = Course.objects.get(pk=school.rival_course.pk)
        assert (course.level, course.language, course.outcomes) == ("Advanced", "fr", "A\nB")
    refused = rival.post(step, {"level": "Advanced", "language": "??", "outcomes": "Kept typing"})
    assert refused.status_code in (200, 422) and "Kept typing" in refused.content.decode()
    with schema_context(school.tenant.schema_name):
        assert Course.objects.get(pk=school.rival_course.pk).language == "fr"
    assert owner.get(step).status_code == 404  # another seller's product


def test_the_panel_reads_a_fixed_number_of_queries(
    school: School, django_assert_max_num_queries: Any
) -> None:
    request = RequestFactory().get(f"/p/{school.product.slug}/")
    request.user = AnonymousUser()
    with schema_context(school.tenant.schema_name):
        with django_assert_max_num_queries(4):
            small = panel(request, school.product)
        for number in range(12):
            builder.add_lesson(
                seller_id=school.seller.pk,
                section_id=school.further.pk,
                title=f"Extra {number}",
                kind="text",
            )
        with django_assert_max_num_queries(4):
            large = panel(request, school.product)
    assert small is not None and large is not None and large.sections is not None
    assert "Extra 11" in large.sections and large.buy_box is None
