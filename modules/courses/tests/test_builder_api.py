"""The course builder's seller API and the public curriculum: a course's details, sections
and lessons through their whole life with field errors in the one envelope, the whole order
in one call (exactly the course's sets, or 422), a resource whose name lies refused, the
public curriculum with ``courseDetails``; another seller's objects 404, a teammate without
``manage_products`` refused, another marketplace and the module off see nothing."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from core.accounts.models import Role
from core.sellers.models import TeamMember
from modules.courses.models import Lesson, Quiz, Resource, Section
from modules.courses.tests.helpers_cbuild import SELLER_API, School, school_fixture  # noqa: F401
from tenants.schemas_sql import use_public_schema
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import call, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def field_of(response: Any) -> str:
    return str(response.json()["error"]["details"]["field"])


def test_a_seller_builds_a_course_through_the_api(school: School) -> None:
    owner = school.seller_client()
    products = call(owner, "get", f"{SELLER_API}/products")
    assert products.status_code == 200
    assert {
        "id": school.product.pk,
        "name": "Python from Zero",
        "course_id": school.course.pk,
    } in products.json()
    assert all(row["id"] != school.rival_product.pk for row in products.json())

    bad = call(
        owner,
        "put",
        f"{SELLER_API}/products/{school.product.pk}/course",
        {"level": "Wizard", "language": "en"},
    )
    assert bad.status_code == 422 and field_of(bad) == "level"
    details = call(
        owner,
        "put",
        f"{SELLER_API}/products/{school.product.pk}/course",
        {"level": "Advanced", "language": "pt-BR", "outcomes": "One\n\nTwo "},
    )
    assert details.status_code == 200
    assert (details.json()["level"], details.json()["outcomes"]) == ("Advanced", "One\nTwo")

    course = f"{SELLER_API}/courses/{school.course.pk}"
    added = call(owner, "post", f"{course}/sections", {"title": "Projects"})
    assert added.status_code == 201
    section_id = added.json()["id"]
    empty = call(owner, "post", f"{course}/sections", {"title": "   "})
    assert empty.status_code == 422 and field_of(empty) == "title"
    too_long = call(owner, "post", f"{course}/sections", {"title": "x" * 201})
    assert too_long.status_code == 422

    assert (
        call(owner, "patch", f"{SELLER_API}/sections/{section_id}", {"title": "Capstone"}).json()[
            "title"
        ]
        == "Capstone"
    )
    quiz = call(
        owner,
        "post",
        f"{SELLER_API}/sections/{section_id}/lessons",
        {"title": "Final quiz", "kind": "quiz"},
    )
    assert quiz.status_code == 201 and quiz.json()["kind"] == "quiz"
    with schema_context(school.tenant.schema_name):
        assert Quiz.objects.filter(lesson_id=quiz.json()["id"]).exists()
    kind = call(
        owner,
        "post",
        f"{SELLER_API}/sections/{section_id}/lessons",
        {"title": "Podcast", "kind": "audio"},
    )
    assert kind.status_code == 422 and field_of(kind) == "kind"

    lesson = f"{SELLER_API}/lessons/{school.text.pk}"
    both = call(owner, "put", lesson, {"title": "Docs", "drip_days": 3, "drip_date": "2027-02-01"})
    assert both.status_code == 422 and field_of(both) == "drip_date"
    later = call(owner, "put", lesson, {"title": "Docs", "prerequisite_id": school.quiz.pk})
    assert later.status_code == 422 and field_of(later) == "prerequisite_id"
    saved = call(
        owner,
        "put",
        lesson,
        {
            "title": "Docs",
            "body": "Short text",
            "is_preview": True,
            "min_seconds": 45,
            "drip_days": 2,
            "prerequisite_id": school.video.pk,
        },
    )
    assert saved.status_code == 200
    body = saved.json()
    assert (body["is_preview"], body["drip_days"], body["prerequisite_id"]) == (
        True,
        2,
        school.video.pk,
    )
    assert (body["body"], body["duration_seconds"]) == ("<p>Short text</p>", 45)

    moved = call(owner, "post", f"{lesson}/move", {"section_id": section_id, "position": 1})
    assert moved.status_code == 200 and moved.json()["section_id"] == section_id

    lying = owner.post(
        f"/api/v1{lesson}/resources",
        {"file": SimpleUploadedFile("slides.pdf", b"\x7fELF\x02\x01 binary"), "title": "Slides"},
    )
    assert lying.status_code == 422 and field_of(lying) == "file"
    uploaded = owner.post(
        f"/api/v1{lesson}/resources",
        {"file": SimpleUploadedFile("slides.pdf", PDF), "title": "Slides"},
    )
    assert uploaded.status_code == 201
    assert uploaded.json()["content_type"] == "application/pdf"
    shown = call(owner, "get", lesson).json()
    assert [row["title"] for row in shown["resources"]] == ["Slides"]
    assert (
        call(owner, "delete", f"{SELLER_API}/resources/{uploaded.json()['id']}").status_code == 204
    )

    whole = call(owner, "get", course).json()
    assert [s["title"] for s in whole["sections"]] == ["Basics", "Going further", "Capstone"]
    assert [lesson["title"] for lesson in whole["sections"][2]["lessons"]] == ["Docs", "Final quiz"]
    assert whole["duration_seconds"] == 90 + 45

    assert call(owner, "delete", f"{SELLER_API}/lessons/{quiz.json()['id']}").status_code == 204
    assert call(owner, "delete", f"{SELLER_API}/sections/{section_id}").status_code == 204
    with schema_context(school.tenant.schema_name):
        assert not Section.objects.filter(pk=section_id).exists()
        assert not Lesson.objects.filter(pk=school.text.pk).exists()


def test_the_order_endpoint_takes_exactly_the_courses_sets(school: School) -> None:
    owner = school.seller_client()
    order = f"{SELLER_API}/courses/{school.course.pk}/order"
    (basics, (video, text)), (further, (quiz,)) = school.layout()

    def send(layout: list[tuple[int, list[int]]]) -> Any:
        return call(
            owner, "post", order, {"sections": [{"id": s, "lessons": ids} for s, ids in layout]}
        )

    missing = send([(basics, [video, text])])
    assert missing.status_code == 422 and field_of(missing) == "sections"
    twice = send([(basics, [video, text, video]), (further, [quiz])])
    assert twice.status_code == 422 and field_of(twice) == "lessons"
    theirs = send([(basics, [video, text, school.rival_lesson.pk]), (further, [quiz])])
    assert theirs.status_code == 422
    assert school.layout() == [(basics, [video, text]), (further, [quiz])]

    done = send([(further, [quiz, text]), (basics, [video])])
    assert done.status_code == 200
    assert [[lesson["id"] for lesson in s["lessons"]] for s in done.json()["sections"]] == [
        [quiz, text],
        [video],
    ]
    assert school.layout() == [(further, [quiz, text]), (basics, [video])]


def test_the_public_curriculum(school: School) -> None:
    anonymous = school.client()
    response = anonymous.get(f"/api/v1/courses/{school.course.pk}/curriculum")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["courseDetails"] == {"modules": 2, "duration": 90 + 120}
    assert (data["level"], data["language"]) == ("Beginner", "en")
    assert data["outcomes"] == ["Write small programs", "Read error messages"]
    assert [s["title"] for s in data["sections"]] == ["Basics", "Going further"]
    first = data["sections"][0]
    assert first["duration_seconds"] == 210
    assert first["lessons"][0] == {
        "id": school.video.pk,
        "title": "Installing Python",
        "kind": "video",
        "duration_seconds": 90,
        "is_preview": True,
    }
    assert "body" not in str(data)
    # A draft course is not public.
    with schema_context(school.tenant.schema_name):
        from core.catalog.models import Product, ProductStatus

        Product.objects.filter(pk=school.product.pk).update(status=ProductStatus.DRAFT)
    assert anonymous.get(f"/api/v1/courses/{school.course.pk}/curriculum").status_code == 404


def test_other_sellers_teammates_marketplaces_and_the_module_off(
    school: School, make_tenant: Any
) -> None:
    rival = school.seller_client(school.rival)
    attempts: list[tuple[str, str, Any]] = [
        ("get", f"/courses/{school.course.pk}", None),
        ("put", f"/products/{school.product.pk}/course", {"level": ""}),
        ("post", f"/courses/{school.course.pk}/sections", {"title": "Mine now"}),
        ("post", f"/courses/{school.course.pk}/order", {"sections": []}),
        ("patch", f"/sections/{school.basics.pk}", {"title": "Mine"}),
        ("delete", f"/sections/{school.basics.pk}", None),
        ("post", f"/sections/{school.basics.pk}/lessons", {"title": "x", "kind": "text"}),
        ("get", f"/lessons/{school.text.pk}", None),
        ("put", f"/lessons/{school.text.pk}", {"title": "Mine"}),
        (
            "post",
            f"/lessons/{school.text.pk}/move",
            {"section_id": school.basics.pk, "position": 1},
        ),
        ("delete", f"/lessons/{school.text.pk}", None),
    ]
    for method, path, body in attempts:
        assert call(rival, method, SELLER_API + path, body).status_code == 404, (method, path)
    assert (
        rival.post(
            f"/api/v1{SELLER_API}/lessons/{school.text.pk}/resources",
            {"file": SimpleUploadedFile("a.pdf", PDF)},
        ).status_code
        == 404
    )
    with schema_context(school.tenant.schema_name):
        assert Section.objects.get(pk=school.basics.pk).title == "Basics"
        assert not Resource.objects.exists()

    teammate = make_user(school.tenant, "helper@code-dojo.example", role=Role.SELLER)
    with schema_context(school.tenant.schema_name):
        TeamMember.objects.create(seller=school.seller, user=teammate, permissions=[])
    refused = school.client(teammate)
    assert call(
        refused, "post", f"{SELLER_API}/courses/{school.course.pk}/sections", {"title": "Sneaky"}
    ).status_code in (403, 404)
    buyer = school.client(school.buyer)
    assert call(buyer, "get", f"{SELLER_API}/courses/{school.course.pk}").status_code in (
        401,
        403,
        404,
    )

    use_public_schema()
    elsewhere = School(make_tenant, "other-dojo")
    stranger = elsewhere.seller_client()
    assert call(stranger, "get", f"{SELLER_API}/courses/{school.course.pk}").status_code == 404
    if school.course.pk != elsewhere.course.pk:
        assert (
            elsewhere.client().get(f"/api/v1/courses/{school.course.pk}/curriculum").status_code
            == 404
        )

    owner = school.seller_client()
    set_module_enabled(tenant=school.tenant, key="courses", is_enabled=False)
    assert call(owner, "get", f"{SELLER_API}/courses/{school.course.pk}").status_code == 404
    assert (
        call(
            owner, "post", f"{SELLER_API}/courses/{school.course.pk}/sections", {"title": "Off"}
        ).status_code
        == 404
    )
    assert school.client().get(f"/api/v1/courses/{school.course.pk}/curriculum").status_code == 404
    with schema_context(school.tenant.schema_name):
        assert not Section.objects.filter(title="Off").exists()
