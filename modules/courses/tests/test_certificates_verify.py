"""The public verification page at ``/certificates/<code>/``: valid (name, course, issued
date, issuing marketplace) without signing in; revoked with its date once the seller revokes
it with a reason (in the studio or the API); codes in any case and without dashes; an unknown
code, another marketplace's code and a marketplace with courses off are 404. Another seller
cannot revoke."""

from __future__ import annotations

from typing import Any

from django_tenants.utils import schema_context

from modules.courses.models import Certificate
from modules.courses.services import certificates
from modules.courses.tests.helpers_ccert import Academy, academy  # noqa: F401
from tenants.schemas_sql import use_public_schema
from tenants.services.modules import set_module_enabled
from tests.fleet_helpers import host_of


def issued(shop: Academy) -> Certificate:
    enrolment = shop.enrol(shop.buyer)
    shop.finish(enrolment)
    with schema_context(shop.tenant.schema_name):
        certificate = certificates.issue_for_enrolment(enrolment_id=enrolment.pk)
    assert certificate is not None
    return certificate


def page(shop: Academy, code: str) -> tuple[int, str]:
    response = shop.client().get(f"/certificates/{code}/")
    return response.status_code, response.content.decode()


def test_a_valid_certificate_then_revoked_after_the_seller_revokes_it(academy: Academy) -> None:  # noqa: F811
    certificate = issued(academy)

    status, html = page(academy, certificate.code)
    assert status == 200
    assert 'data-certificate-status="valid"' in html
    assert "Amara Okafor" in html and "Watercolour Basics" in html
    assert "7 December 2026" in html and "Paint School" in html and "Ada Teaches" in html
    assert "--brand-primary:#7a1f5c" in html  # in the marketplace's branding

    seller = academy.client(academy.seller_owner())
    students = seller.get(f"/studio/courses/students/{academy.course.pk}/")
    assert students.status_code == 200
    revoke_url = f"/studio/courses/certificates/{certificate.pk}/revoke/"
    assert revoke_url in students.content.decode()

    refused = seller.post(revoke_url, {"reason": "  "})
    assert refused.status_code == 302
    assert 'data-certificate-status="valid"' in page(academy, certificate.code)[1]

    done = seller.post(revoke_url, {"reason": "Copied the final project"})
    assert done.status_code == 302
    with schema_context(academy.tenant.schema_name):
        certificate.refresh_from_db()
        assert certificate.revoked_reason == "Copied the final project"
        assert certificate.revoked_at is not None

    status, html = page(academy, certificate.code)
    assert status == 200
    assert 'data-certificate-status="revoked"' in html
    assert "This certificate was revoked" in html and "7 December 2026" in html
    assert 'data-certificate-status="valid"' not in html


def test_codes_match_in_any_case_and_without_dashes(academy: Academy) -> None:  # noqa: F811
    certificate = issued(academy)
    for written in (
        certificate.code.lower(),
        certificate.code.replace("-", ""),
        certificate.code.replace("-", "").lower(),
    ):
        status, html = page(academy, written)
        assert status == 200 and certificate.code in html, written


def test_an_unknown_code_is_404(academy: Academy) -> None:  # noqa: F811
    status, html = page(academy, "AAAA-BBBB-CCCC-DDDD")
    assert status == 404
    assert "No certificate with this code" in html
    assert page(academy, "nonsense")[0] == 404


def test_another_marketplaces_code_is_404_here(
    academy: Academy,  # noqa: F811
    make_tenant: Any,
    client_for: Any,
) -> None:
    certificate = issued(academy)
    use_public_schema()
    other = make_tenant("other-school", modules=["courses"]).tenant
    response = client_for(other).get(f"/certificates/{certificate.code}/")
    assert response.status_code == 404
    assert "Amara" not in response.content.decode()


def test_the_page_is_404_when_courses_are_off(academy: Academy) -> None:  # noqa: F811
    certificate = issued(academy)
    use_public_schema()
    set_module_enabled(tenant=academy.tenant, key="courses", is_enabled=False)
    use_public_schema()
    assert academy.client().get(f"/certificates/{certificate.code}/").status_code == 404
    assert host_of(academy.tenant)


def test_another_seller_cannot_revoke(academy: Academy) -> None:  # noqa: F811
    certificate = issued(academy)
    rival = academy.client(academy.seller_owner(rival=True))

    page_revoke = rival.post(
        f"/studio/courses/certificates/{certificate.pk}/revoke/", {"reason": "Mine now"}
    )
    api_revoke = rival.post(
        f"/api/v1/courses/seller/certificates/{certificate.pk}/revoke",
        {"reason": "Mine now"},
        content_type="application/json",
    )
    students = rival.get(f"/studio/courses/students/{academy.course.pk}/")

    assert (page_revoke.status_code, api_revoke.status_code, students.status_code) == (
        404,
        404,
        404,
    )
    with schema_context(academy.tenant.schema_name):
        certificate.refresh_from_db()
        assert certificate.revoked_at is None
    # The buyer is no seller: the studio and the seller API are closed to them.
    buyer = academy.client(academy.buyer)
    assert buyer.post(
        f"/api/v1/courses/seller/certificates/{certificate.pk}/revoke",
        {"reason": "x"},
        content_type="application/json",
    ).status_code in {403, 404}


def test_the_seller_api_revokes_with_a_reason(academy: Academy) -> None:  # noqa: F811
    certificate = issued(academy)
    seller = academy.client(academy.seller_owner())
    url = f"/api/v1/courses/seller/certificates/{certificate.pk}/revoke"

    empty = seller.post(url, {"reason": " "}, content_type="application/json")
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "invalid_course_message"

    done = seller.post(url, {"reason": "Refund abuse"}, content_type="application/json")
    assert done.status_code == 200
    assert done.json()["revoked_at"] is not None
    assert done.json()["code"] == certificate.code
    assert 'data-certificate-status="revoked"' in page(academy, certificate.code)[1]
