"""People pages of the back-office: reviews moderation (reported first; hide with a reason,
restore, dismiss reports) and the sellers and users pages inside the back-office frame."""

from __future__ import annotations

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from core.reviews.models import Review, ReviewReport, ReviewStatus
from core.reviews.services.reports import report_review
from core.reviews.services.writing import create_review
from core.reviews.tests.helpers import make_line
from tests.accounts_helpers import make_user
from tests.backoffice_helpers import assert_refused, operator, refusals
from tests.commerce_helpers import make_shop


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def reported_review(shop, *, title="Awful", reporters=1):
    line = make_line(shop.tenant, shop.buyer, shop.editor)
    with schema_context(shop.tenant.schema_name):
        review = create_review(
            buyer=shop.buyer, order_line_id=line.pk, rating=1, title=title, body="Call 555-0100"
        )
    for n in range(reporters):
        reporter = make_user(shop.tenant, f"reporter{n}@example.com")
        with schema_context(shop.tenant.schema_name):
            report_review(
                reporter=reporter, review_id=review.pk, reason="personal_data", note="A number"
            )
    return review


def body(response) -> str:
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


@pytest.mark.parametrize("path", ["/operator/reviews/", "/operator/reviews/{id}/"])
def test_reviews_moderation_is_for_operators_only(shop, client_for, path):
    review = reported_review(shop)
    path = path.format(id=review.pk)
    assert_refused(refusals(client_for, shop.tenant, shop, path), path)
    assert body(operator(client_for, shop.tenant).get(path))


def test_the_queue_shows_reported_reviews_first_and_hiding_tells_the_buyer(
    shop, client_for, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    review = reported_review(shop, reporters=2)
    staff = operator(client_for, shop.tenant)
    with django_assert_max_num_queries(12):
        queue = body(staff.get("/operator/reviews/"))
    assert "Awful" in queue and "Swift Editor" in queue and '<td class="num">2</td>' in queue

    blank = body(staff.post(f"/operator/reviews/{review.pk}/", {"reason": "  "}))
    assert "This field is required." in blank
    with schema_context(shop.tenant.schema_name):
        assert Review.objects.get(pk=review.pk).status == ReviewStatus.PUBLISHED

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        hidden = staff.post(
            f"/operator/reviews/{review.pk}/", {"reason": "Personal data"}, follow=True
        )
    assert "The review is hidden and the buyer was told why." in body(hidden)
    with schema_context(shop.tenant.schema_name):
        saved = Review.objects.get(pk=review.pk)
        assert (saved.status, saved.hidden_reason) == (ReviewStatus.HIDDEN, "Personal data")
        assert not ReviewReport.objects.filter(resolved_at__isnull=True).exists()
    assert [message.to for message in mail.outbox] == [[shop.buyer.email]]
    assert "No reported reviews" in body(staff.get("/operator/reviews/"))
    assert "Awful" in body(staff.get("/operator/reviews/", {"show": "hidden"}))

    restored = staff.post(f"/operator/reviews/{review.pk}/restore/", follow=True)
    assert "The review is shown again." in body(restored)
    with schema_context(shop.tenant.schema_name):
        assert Review.objects.get(pk=review.pk).status == ReviewStatus.PUBLISHED


def test_dismissing_reports_keeps_the_review_and_twice_is_refused(shop, client_for):
    review = reported_review(shop)
    staff = operator(client_for, shop.tenant)
    first = body(staff.post(f"/operator/reviews/{review.pk}/dismiss/", follow=True))
    assert "1 report dismissed." in first
    again = body(staff.post(f"/operator/reviews/{review.pk}/dismiss/", follow=True))
    assert "This review has no open reports." in again
    with schema_context(shop.tenant.schema_name):
        assert Review.objects.get(pk=review.pk).status == ReviewStatus.PUBLISHED


def test_another_marketplace_cannot_see_or_hide_these_reviews(shop, tenant_b, client_for):
    review = reported_review(shop)
    staff_b = operator(client_for, tenant_b)
    assert "Awful" not in body(staff_b.get("/operator/reviews/", {"show": "all"}))
    assert staff_b.get(f"/operator/reviews/{review.pk}/").status_code == 404
    assert staff_b.post(f"/operator/reviews/{review.pk}/", {"reason": "x"}).status_code == 404
    assert staff_b.post(f"/operator/reviews/{review.pk}/restore/").status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert Review.objects.get(pk=review.pk).status == ReviewStatus.PUBLISHED


def test_a_broken_page_link_starts_the_queue_again(shop, client_for):
    staff = operator(client_for, shop.tenant)
    answer = staff.get("/operator/reviews/", {"show": "all", "cursor": "garbage"})
    assert answer.status_code == 302 and answer["Location"] == "/operator/reviews/?show=all"
