"""Reviews over the API. Public lists (``/api/v1/catalog/products/{slug}/reviews``,
``/api/v1/sellers/{slug}/reviews``), buyers' own reviews and reports (``/api/v1/me/reviews``),
sellers' replies (``/api/v1/seller/reviews``) and operators' moderation
(``/api/v1/operator/reviews``). Auth is set where ``api/v1.py`` mounts each router."""

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from core.accounts.auth import buyer_auth
from core.accounts.models import TokenScope, User
from core.accounts.principal import principal_of
from core.catalog.errors import CatalogError, CatalogErrorCode
from core.catalog.models import Product
from core.catalog.selectors import visible_products
from core.errors import ErrorKind
from core.pagination import keyset_page
from core.reviews import presenters
from core.reviews.errors import ReviewError, ReviewErrorCode
from core.reviews.models import Review, ReviewReport
from core.reviews.schemas import (
    DismissedOut,
    OperatorReviewFilter,
    OperatorReviewOut,
    OperatorReviewPageOut,
    OwnReviewOut,
    OwnReviewPageOut,
    PageIn,
    ProductReviewPageOut,
    ProductReviewParams,
    ProfileReviewPageOut,
    ReasonIn,
    ReplyIn,
    ReportIn,
    ReportReceiptOut,
    ReviewableLinePageOut,
    ReviewEditIn,
    ReviewIn,
    ReviewSort,
    ReviewSummaryOut,
    SellerReviewFilter,
    SellerReviewOut,
    SellerReviewPageOut,
)
from core.reviews.selectors import (
    published_reviews,
    rating_distribution,
    reviewable_lines,
)
from core.reviews.services import moderation, replies, reports, writing
from core.sellers.auth import authorised_seller
from core.sellers.models import Seller
from core.sellers.selectors import visible_seller

reviews_router = Router()  # mounted at /catalog/products
seller_profile_reviews_router = Router()  # mounted at /sellers
my_reviews_router = Router()  # mounted at /me/reviews
seller_reviews_router = Router()  # mounted at /seller/reviews
operator_reviews_router = Router()  # mounted at /operator/reviews

ORDERINGS: dict[ReviewSort, tuple[str, ...]] = {
    ReviewSort.NEWEST: ("-created_at", "-id"),
    ReviewSort.HIGHEST: ("-rating", "-created_at", "-id"),
    ReviewSort.LOWEST: ("rating", "-created_at", "-id"),
}


def _not_found() -> ReviewError:
    return ReviewError(
        ReviewErrorCode.REVIEW_NOT_FOUND, "No such review.", kind=ErrorKind.NOT_FOUND
    )


# --- public ------------------------------------------------------------------------------------


def _visible_product(slug: str) -> Product:
    product = (
        visible_products().filter(slug=slug).only("id", "slug", "rating_count", "rating_total")
    ).first()
    if product is None:
        raise CatalogError(
            CatalogErrorCode.PRODUCT_NOT_FOUND, "No such product.", kind=ErrorKind.NOT_FOUND
        )
    return product


@reviews_router.get(
    "/{slug}/reviews", response=ProductReviewPageOut, summary="A product's published reviews"
)
def list_product_reviews(
    request: HttpRequest, slug: str, params: Query[ProductReviewParams]
) -> dict[str, Any]:
    """Two queries whatever the page size: the product, then the page with each reviewer
    and reply joined in."""
    product = _visible_product(slug)
    reviews = published_reviews().filter(product=product)
    if params.rating:
        reviews = reviews.filter(rating=params.rating)
    rows, next_cursor = keyset_page(
        reviews, ordering=ORDERINGS[params.sort], limit=params.limit, cursor=params.cursor
    )
    return {
        "items": [presenters.public_review(review) for review in rows],
        "next_cursor": next_cursor,
        "rating_count": product.rating_count,
        "rating_average_tenths": product.rating_average_tenths,
    }


@reviews_router.get(
    "/{slug}/reviews/summary", response=ReviewSummaryOut, summary="Ratings by stars"
)
def product_review_summary(request: HttpRequest, slug: str) -> dict[str, Any]:
    product = _visible_product(slug)
    return {
        "rating_count": product.rating_count,
        "rating_average_tenths": product.rating_average_tenths,
        "distribution": [
            {"stars": stars, "count": count}
            for stars, count in rating_distribution(product).items()
        ],
    }


@seller_profile_reviews_router.get(
    "/{slug}/reviews", response=ProfileReviewPageOut, summary="A seller's published reviews"
)
def list_seller_profile_reviews(
    request: HttpRequest, slug: str, page: Query[PageIn]
) -> dict[str, Any]:
    seller = visible_seller(slug)
    rows, next_cursor = keyset_page(
        published_reviews().filter(seller=seller).select_related("product"),
        ordering=ORDERINGS[ReviewSort.NEWEST],
        limit=page.limit,
        cursor=page.cursor,
    )
    return {
        "items": [
            {**presenters.public_review(review), "product": presenters.product_ref(review)}
            for review in rows
        ],
        "next_cursor": next_cursor,
        "rating_count": seller.rating_count,
        "rating_average_tenths": seller.rating_average_tenths,
    }


# --- buyers ------------------------------------------------------------------------------------


def _own_reviews(user: User) -> QuerySet[Review]:
    return Review.objects.filter(buyer=user).select_related("buyer", "reply", "product")


def _own_review(user: User, review_id: int) -> dict[str, Any]:
    review = _own_reviews(user).filter(pk=review_id).first()
    if review is None:  # another buyer's review does not exist for you
        raise _not_found()
    return presenters.own_review(review)


@my_reviews_router.get("", response=OwnReviewPageOut, summary="Your reviews")
def list_my_reviews(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    user = principal_of(request).user
    rows, next_cursor = keyset_page(
        _own_reviews(user), ordering=("-id",), limit=page.limit, cursor=page.cursor
    )
    return {"items": [presenters.own_review(r) for r in rows], "next_cursor": next_cursor}


@my_reviews_router.get(
    "/reviewable",
    response=ReviewableLinePageOut,
    summary="Purchases waiting for your review",
)
def list_reviewable(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    user = principal_of(request).user
    rows, next_cursor = keyset_page(
        reviewable_lines(user), ordering=("-id",), limit=page.limit, cursor=page.cursor
    )
    return {
        "items": [
            {
                "order_line_id": line.pk,
                "title": line.title,
                "product": {"slug": line.product.slug, "name": line.product.name},
                "seller": {
                    "slug": line.sub_order.seller.slug,
                    "business_name": line.sub_order.seller.business_name,
                },
                "completed_at": line.completed_at,
            }
            for line in rows
        ],
        "next_cursor": next_cursor,
    }


@my_reviews_router.post(
    "",
    response={201: OwnReviewOut},
    summary="Review a completed purchase",
    auth=buyer_auth(TokenScope.WRITE),
)
def create_review(request: HttpRequest, payload: ReviewIn) -> Status[dict[str, Any]]:
    user = principal_of(request).user
    review = writing.create_review(
        buyer=user,
        order_line_id=payload.order_line_id,
        rating=payload.rating,
        title=payload.title,
        body=payload.body,
    )
    return Status(201, _own_review(user, review.pk))


@my_reviews_router.post(
    "/reports",
    response={201: ReportReceiptOut},
    summary="Report a review to the operators",
    auth=buyer_auth(TokenScope.WRITE),
)
def report_review(request: HttpRequest, payload: ReportIn) -> Status[dict[str, Any]]:
    user = principal_of(request).user
    report = reports.report_review(
        reporter=user, review_id=payload.review_id, reason=payload.reason, note=payload.note
    )
    return Status(
        201,
        {
            "id": report.pk,
            "review_id": report.review_id,
            "reason": report.reason,
            "created_at": report.created_at,
        },
    )


@my_reviews_router.get("/{review_id}", response=OwnReviewOut)
def get_my_review(request: HttpRequest, review_id: int) -> dict[str, Any]:
    return _own_review(principal_of(request).user, review_id)


@my_reviews_router.put(
    "/{review_id}",
    response=OwnReviewOut,
    summary="Edit your review",
    auth=buyer_auth(TokenScope.WRITE),
)
def edit_my_review(request: HttpRequest, review_id: int, payload: ReviewEditIn) -> dict[str, Any]:
    user = principal_of(request).user
    writing.edit_review(
        buyer=user,
        review_id=review_id,
        rating=payload.rating,
        title=payload.title,
        body=payload.body,
    )
    return _own_review(user, review_id)


# --- sellers (manage_customers or process_orders) ---------------------------------------------


def _sellers_reviews(seller: Seller) -> QuerySet[Review]:
    return Review.objects.filter(seller=seller).select_related("buyer", "reply", "product")


def _sellers_review(seller: Seller, review_id: int) -> dict[str, Any]:
    review = _sellers_reviews(seller).filter(pk=review_id).first()
    if review is None:  # a review of another seller's sale does not exist for you
        raise _not_found()
    return presenters.seller_review(review)


@seller_reviews_router.get("", response=SellerReviewPageOut, summary="Reviews of your sales")
def list_seller_reviews(request: HttpRequest, filters: Query[SellerReviewFilter]) -> Any:
    seller = authorised_seller(request)
    reviews = _sellers_reviews(seller)
    if filters.status:
        reviews = reviews.filter(status=filters.status)
    if filters.product:
        reviews = reviews.filter(product__slug=filters.product)
    if filters.has_reply is not None:
        reviews = reviews.filter(reply__isnull=not filters.has_reply)
    rows, next_cursor = keyset_page(
        reviews, ordering=("-id",), limit=filters.limit, cursor=filters.cursor
    )
    return {"items": [presenters.seller_review(r) for r in rows], "next_cursor": next_cursor}


@seller_reviews_router.get("/{review_id}", response=SellerReviewOut)
def get_seller_review(request: HttpRequest, review_id: int) -> dict[str, Any]:
    return _sellers_review(authorised_seller(request), review_id)


@seller_reviews_router.post(
    "/{review_id}/reply", response={201: SellerReviewOut}, summary="Reply to a review"
)
def reply(request: HttpRequest, review_id: int, payload: ReplyIn) -> Status[dict[str, Any]]:
    user, seller = principal_of(request).user, authorised_seller(request)
    replies.reply_to_review(seller=seller, author=user, review_id=review_id, body=payload.body)
    return Status(201, _sellers_review(seller, review_id))


@seller_reviews_router.put("/{review_id}/reply", response=SellerReviewOut)
def edit_reply(request: HttpRequest, review_id: int, payload: ReplyIn) -> dict[str, Any]:
    user, seller = principal_of(request).user, authorised_seller(request)
    replies.edit_reply(seller=seller, author=user, review_id=review_id, body=payload.body)
    return _sellers_review(seller, review_id)


@seller_reviews_router.delete("/{review_id}/reply", response={204: None})
def delete_reply(request: HttpRequest, review_id: int) -> Status[None]:
    seller = authorised_seller(request)
    replies.delete_reply(seller=seller, review_id=review_id)
    return Status(204, None)


# --- operators ---------------------------------------------------------------------------------


def _moderation_queryset() -> QuerySet[Review]:
    return Review.objects.select_related("buyer", "reply", "product", "seller").annotate(
        open_report_count=Count("reports", filter=Q(reports__resolved_at__isnull=True))
    )


def _any_review(review_id: int) -> dict[str, Any]:
    review = _moderation_queryset().filter(pk=review_id).first()
    if review is None:
        raise _not_found()
    return presenters.operator_review(review, list(review.reports.order_by("id")))


@operator_reviews_router.get("", response=OperatorReviewPageOut, summary="Moderation queue")
def moderation_queue(request: HttpRequest, filters: Query[OperatorReviewFilter]) -> Any:
    reviews = _moderation_queryset()
    if filters.status:
        reviews = reviews.filter(status=filters.status)
    if filters.is_reported is not None:
        has_open_reports = Exists(
            ReviewReport.objects.filter(review=OuterRef("pk"), resolved_at__isnull=True)
        )
        reviews = reviews.filter(has_open_reports if filters.is_reported else ~has_open_reports)
    if filters.product:
        reviews = reviews.filter(product__slug=filters.product)
    if filters.seller:
        reviews = reviews.filter(seller__slug=filters.seller)
    rows, next_cursor = keyset_page(
        reviews, ordering=("-id",), limit=filters.limit, cursor=filters.cursor
    )
    return {"items": [presenters.operator_review(r) for r in rows], "next_cursor": next_cursor}


@operator_reviews_router.get("/{review_id}", response=OperatorReviewOut)
def get_any_review(request: HttpRequest, review_id: int) -> dict[str, Any]:
    return _any_review(review_id)


@operator_reviews_router.post("/{review_id}/hide", response=OperatorReviewOut)
def hide(request: HttpRequest, review_id: int, payload: ReasonIn) -> dict[str, Any]:
    operator = principal_of(request).user
    moderation.hide_review(operator=operator, review_id=review_id, reason=payload.reason)
    return _any_review(review_id)


@operator_reviews_router.post("/{review_id}/restore", response=OperatorReviewOut)
def restore(request: HttpRequest, review_id: int) -> dict[str, Any]:
    operator = principal_of(request).user
    moderation.restore_review(operator=operator, review_id=review_id)
    return _any_review(review_id)


@operator_reviews_router.post("/{review_id}/dismiss-reports", response=DismissedOut)
def dismiss(request: HttpRequest, review_id: int) -> dict[str, int]:
    operator = principal_of(request).user
    return {"dismissed": moderation.dismiss_reports(operator=operator, review_id=review_id)}
