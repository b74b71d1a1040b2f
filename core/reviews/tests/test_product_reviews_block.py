"""The product page's reviews section: the aggregate, stars distribution and the latest
published reviews with the seller's replies, in two queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone
from django_tenants.utils import schema_context

from core.accounts.models import Role
from core.catalog.models import Product
from core.reviews.models import Review
from core.reviews.selectors import product_reviews_block, product_reviews_ld
from core.reviews.services import moderation, replies, writing
from core.reviews.tests.helpers import make_line
from tests.accounts_helpers import make_user
from tests.catalog_helpers import make_product, make_seller


@pytest.fixture
def shop(tenant_a):
    acme = make_seller(tenant_a, "acme", "Acme Tools")
    return {
        "tenant": tenant_a,
        "seller": acme,
        "editor": make_product(tenant_a, acme, "Swift Code Editor"),
        "buyer": make_user(tenant_a, "ann@example.com", full_name="Ann Smith"),
        "operator": make_user(tenant_a, "op@example.com", role=Role.OPERATOR),
    }


def write(shop, rating, title, days_ago):
    line = make_line(shop["tenant"], shop["buyer"], shop["editor"])
    with schema_context(shop["tenant"].schema_name):
        review = writing.create_review(
            buyer=shop["buyer"], order_line_id=line.pk, rating=rating, title=title
        )
        Review.objects.filter(pk=review.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
    return review


def block_of(shop, **options):
    with schema_context(shop["tenant"].schema_name):
        product = Product.objects.get(pk=shop["editor"].pk)
        return product_reviews_block(product, **options)


def render(shop, block):
    with schema_context(shop["tenant"].schema_name):
        return render_to_string(
            "reviews/_product_reviews.html", {"reviews": block, "seller": shop["seller"]}
        )


def test_the_block_shows_the_latest_published_reviews_with_replies(shop, django_assert_num_queries):
    made = [write(shop, rating, f"Review {rating}", days_ago=10 - rating) for rating in (1, 2, 5)]
    hidden = write(shop, 4, "Rude words", days_ago=0)
    with schema_context(shop["tenant"].schema_name):
        moderation.hide_review(operator=shop["operator"], review_id=hidden.pk, reason="Abusive")
        replies.reply_to_review(
            seller=shop["seller"],
            author=shop["seller"].owner,
            review_id=made[2].pk,
            body="Glad you like it",
        )
        product = Product.objects.get(pk=shop["editor"].pk)
        with django_assert_num_queries(2):
            block = product_reviews_block(product, limit=2)

    assert {k: v for k, v in block.items() if k != "latest"} == {
        "rating_count": 3,
        "rating_average_tenths": 27,
        "rating_display": "2.7",
        "distribution": [
            {"stars": 5, "count": 1, "percent": 33},
            {"stars": 4, "count": 0, "percent": 0},
            {"stars": 3, "count": 0, "percent": 0},
            {"stars": 2, "count": 1, "percent": 33},
            {"stars": 1, "count": 1, "percent": 33},
        ],
        "has_more": True,
        "api_url": "/api/v1/catalog/products/swift-code-editor/reviews",
    }
    assert [(r["id"], r["reviewer_name"]) for r in block["latest"]] == [
        (made[2].pk, "Ann S."),
        (made[1].pk, "Ann S."),
    ]
    assert block["latest"][0]["reply"]["body"] == "Glad you like it"

    html = render(shop, block)

    assert re.findall(r'data-review="(\d+)"', html) == [str(made[2].pk), str(made[1].pk)]
    assert "Rude words" not in html
    assert "Reply from Acme Tools" in html and "Glad you like it" in html
    assert "<strong>2.7</strong>" in html
    assert "Showing the 2 latest of 3 reviews." in html
    assert 'data-stars="5"' in html and 'value="33"' in html


def test_a_product_without_reviews_says_so(shop):
    block = block_of(shop)

    html = render(shop, block)

    assert (block["rating_count"], block["latest"], block["has_more"]) == (0, [], False)
    assert "No reviews yet." in html
    assert "data-review=" not in html


def test_review_text_is_escaped(shop):
    write(shop, 3, "<script>alert(1)</script>", days_ago=0)

    html = render(shop, block_of(shop))

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_json_ld_reviews_for_the_product_page(shop):
    review = write(shop, 4, "Solid", days_ago=0)

    items = product_reviews_ld(block_of(shop))

    with schema_context(shop["tenant"].schema_name):
        written_on = Review.objects.get(pk=review.pk).created_at.date().isoformat()

    assert items == [
        {
            "@type": "Review",
            "author": {"@type": "Person", "name": "Ann S."},
            "datePublished": written_on,
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": 4,
                "bestRating": 5,
                "worstRating": 1,
            },
            "name": "Solid",
        }
    ]
