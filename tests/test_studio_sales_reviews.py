"""The studio's reviews (``/studio/reviews/``): reviews of the seller's products with filters by
stars and "not answered yet", replying (then editing, removing) through the reviews
services; a bad reply is a field error that writes nothing; another seller's review is not
found; a teammate needs manage_customers or process_orders."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import Order
from core.reviews.models import Review, ReviewReply
from core.reviews.services.writing import create_review
from core.sellers.models import TeamPermission
from tests.accounts_helpers import make_user
from tests.commerce_helpers import make_shop
from tests.test_studio_sales import buy, seller_client, teammate, text


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def _review(shop, order, index: int, rating: int, body: str) -> Review:
    with schema_context(shop.tenant.schema_name):
        buyer = Order.objects.get(pk=order["id"]).buyer
        return create_review(
            buyer=buyer,
            order_line_id=order["lines"][index]["id"],
            rating=rating,
            title=f"{rating} stars",
            body=body,
        )


def _review_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-review="(\d+)"', html)]


@pytest.fixture
def reviewed(client_for, shop, django_capture_on_commit_callbacks):
    """Two reviews of Acme's editor (5 and 2 stars), one of Bolt's scanner."""
    capture = django_capture_on_commit_callbacks
    first = buy(client_for, shop, shop.editor, shop.scanner, capture=capture)
    other = make_user(shop.tenant, "zed@example.com", full_name="Zed Zebra")
    second = buy(client_for, shop, shop.editor, buyer=other, capture=capture)
    great = _review(shop, first, 0, 5, "Fast and tidy.")
    scanner = _review(shop, first, 1, 4, "Scans well.")
    poor = _review(shop, second, 0, 2, "Crashed twice.")
    return great, poor, scanner


def test_reviews_of_the_sellers_products_only_with_filters(client_for, shop, reviewed):
    great, poor, _scanner = reviewed
    client = seller_client(client_for, shop)

    everything = text(client.get("/studio/reviews/"))
    two_stars = text(client.get("/studio/reviews/?rating=2"))

    assert _review_ids(everything) == [poor.pk, great.pk]
    assert "Scans well." not in everything
    assert "Zed Z." in everything  # reviewers as the public sees them, no e-mail address
    assert '<span class="kpi-value">3.5</span>' in everything
    assert _review_ids(two_stars) == [poor.pk]
    assert 'href="/studio/reviews/" aria-current="page">Reviews</a>' in everything


def test_reply_edit_and_remove_and_the_unanswered_filter(client_for, shop, reviewed):
    great, poor, _ = reviewed
    client = seller_client(client_for, shop)

    posted = client.post(
        f"/studio/reviews/{poor.pk}/reply/", {f"r{poor.pk}-body": "Fixed in 2.1, sorry!"}
    )
    unanswered = text(client.get("/studio/reviews/?unreplied=on"))
    edited = client.post(
        f"/studio/reviews/{poor.pk}/reply/", {f"r{poor.pk}-body": "Fixed in 2.1.1."}
    )

    assert posted.status_code == 302 and posted["Location"] == f"/studio/reviews/#review-{poor.pk}"
    assert _review_ids(unanswered) == [great.pk]
    assert edited.status_code == 302
    with schema_context(shop.tenant.schema_name):
        assert ReviewReply.objects.get(review=poor).body == "Fixed in 2.1.1."
    assert "Fixed in 2.1.1." in text(client.get("/studio/reviews/"))
    assert client.post(f"/studio/reviews/{poor.pk}/reply/delete/").status_code == 302
    with schema_context(shop.tenant.schema_name):
        assert not ReviewReply.objects.exists()


def test_an_empty_reply_is_a_field_error_and_another_sellers_review_is_not_found(
    client_for, shop, reviewed
):
    great, _, scanner = reviewed
    client = seller_client(client_for, shop)

    empty = client.post(f"/studio/reviews/{great.pk}/reply/", {f"r{great.pk}-body": "   "})

    assert empty.status_code == 200 and "This field is required." in text(empty)
    assert (
        client.post(
            f"/studio/reviews/{scanner.pk}/reply/", {f"r{scanner.pk}-body": "Mine now"}
        ).status_code
        == 404
    )
    assert client.post(f"/studio/reviews/{scanner.pk}/reply/delete/").status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert not ReviewReply.objects.exists()


def test_reviews_need_manage_customers_or_process_orders(client_for, shop, reviewed):
    great, _, _ = reviewed
    packer = teammate(client_for, shop, "packer@example.com", [TeamPermission.MANAGE_PRODUCTS])
    clerk = teammate(client_for, shop, "clerk@example.com", [TeamPermission.PROCESS_ORDERS])

    refused = packer.get("/studio/reviews/")

    assert refused.status_code == 403 and "Reviews needs the team permission" in text(refused)
    assert (
        packer.post(f"/studio/reviews/{great.pk}/reply/", {f"r{great.pk}-body": "x"}).status_code
        == 403
    )
    assert clerk.get("/studio/reviews/").status_code == 200
