"""Reads of reviews shared by the API, the storefront and the services: which lines a buyer
may review, what the public sees, and who answers for a seller."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Q, QuerySet

from core.accounts.models import User
from core.catalog.models import Product
from core.commerce.models import LineStatus, OrderLine
from core.errors import ErrorKind
from core.reviews import presenters
from core.reviews.models import MAX_RATING, MIN_RATING, Review, ReviewStatus
from core.sellers.errors import SellerError, SellerErrorCode
from core.sellers.models import Seller, TeamMember, TeamPermission
from core.sellers.selectors import acting_seller

# A completed line that was not refunded in full. (A free line, total 0, is never "refunded".)
REVIEWABLE_LINE = Q(status=LineStatus.COMPLETED) & ~Q(
    refunded_amount__gt=0, refunded_amount__gte=F("total")
)
STOREFRONT_LATEST = 5


def is_line_reviewable(line: OrderLine) -> bool:
    """The Python twin of ``REVIEWABLE_LINE``, for a line already loaded."""
    is_refunded = line.refunded_amount > 0 and line.refunded_amount >= line.total
    return line.status == LineStatus.COMPLETED and not is_refunded


def is_own_sale(seller: Seller, user: User) -> bool:
    """The seller's owner or a team member bought from the seller: their stars would not be a
    customer's."""
    return (
        seller.owner_id == user.pk or TeamMember.objects.filter(seller=seller, user=user).exists()
    )


def reviewable_lines(buyer: User) -> QuerySet[OrderLine]:
    """The buyer's lines waiting for a review."""
    return (
        OrderLine.objects.filter(REVIEWABLE_LINE, order__buyer=buyer, review__isnull=True)
        .exclude(sub_order__seller__owner=buyer)
        .exclude(sub_order__seller__members__user=buyer)
        .select_related("product", "sub_order__seller")
        .only(
            "id",
            "title",
            "completed_at",
            "product__slug",
            "product__name",
            "sub_order__seller__slug",
            "sub_order__seller__business_name",
        )
    )


def published_reviews() -> QuerySet[Review]:
    """What buyers see, with what each item shows (reviewer and reply) in the same query."""
    return Review.objects.filter(status=ReviewStatus.PUBLISHED).select_related("buyer", "reply")


def rating_distribution(product: Product) -> dict[int, int]:
    """Published reviews by stars, 5 to 1 (one query)."""
    counts = (
        Review.objects.filter(product=product, status=ReviewStatus.PUBLISHED)
        .values("rating")
        .annotate(count=Count("id"))
    )
    found = {row["rating"]: row["count"] for row in counts}
    return {stars: found.get(stars, 0) for stars in range(MAX_RATING, MIN_RATING - 1, -1)}


def product_reviews_block(product: Product, *, limit: int = STOREFRONT_LATEST) -> dict[str, Any]:
    """The product page's reviews section (``reviews/_product_reviews.html``): the aggregate,
    the distribution by stars and the latest published reviews with the seller's replies.
    Two queries, whatever the number of reviews."""
    distribution = rating_distribution(product)
    counted = sum(distribution.values())
    latest = list(
        published_reviews().filter(product=product).order_by("-created_at", "-id")[:limit]
    )
    return {
        "rating_count": product.rating_count,
        "rating_average_tenths": product.rating_average_tenths,
        "rating_display": presenters.tenths(product.rating_average_tenths),
        "distribution": [
            {
                "stars": stars,
                "count": count,
                "percent": count * 100 // counted if counted else 0,
            }
            for stars, count in distribution.items()
        ],
        "latest": [presenters.public_review(review) for review in latest],
        "has_more": counted > len(latest),
        "api_url": f"/api/v1/catalog/products/{product.slug}/reviews",
    }


def product_reviews_ld(block: dict[str, Any]) -> list[dict[str, Any]]:
    """schema.org ``Review`` items of the block's reviews, for the product page's JSON-LD."""
    return [
        {
            "@type": "Review",
            "author": {"@type": "Person", "name": review["reviewer_name"]},
            "datePublished": review["created_at"].date().isoformat(),
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": review["rating"],
                "bestRating": MAX_RATING,
                "worstRating": MIN_RATING,
            },
            **({"name": review["title"]} if review["title"] else {}),
            **({"reviewBody": review["body"]} if review["body"] else {}),
        }
        for review in block["latest"]
    ]


REPLY_PERMISSIONS = (TeamPermission.MANAGE_CUSTOMERS, TeamPermission.PROCESS_ORDERS)


def replying_seller(user: User) -> Seller:
    """The seller the user answers reviews for: the owner, or a team member who may manage
    customers or process orders."""
    for permission in REPLY_PERMISSIONS:
        try:
            return acting_seller(user, permission)
        except SellerError as error:
            if error.code != SellerErrorCode.PERMISSION_DENIED:
                raise
    raise SellerError(
        SellerErrorCode.PERMISSION_DENIED,
        "Your team role lacks the 'manage_customers' or 'process_orders' permission.",
        details={"required_permissions_any": [str(p) for p in REPLY_PERMISSIONS]},
        kind=ErrorKind.FORBIDDEN,
    )
