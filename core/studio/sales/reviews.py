"""The studio's reviews (``/studio/reviews/``): reviews of the seller's products, newest first,
filtered by stars or "not answered yet", each with the seller's public reply (write, edit,
remove) through ``core.reviews.services.replies``, as the seller API does."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Avg, Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from core.accounts.views import render_with_error, signed_in_user
from core.errors import DomainError
from core.reviews.models import Review, ReviewReply, ReviewStatus
from core.reviews.presenters import reviewer_name
from core.reviews.services import replies
from core.sellers.auth import authorised_seller
from core.sellers.models import Seller
from core.studio.guards import studio_page
from core.studio.sales.forms import ConfirmForm, ReplyForm, ReviewFilterForm

REVIEWS_PER_PAGE = 20
PAGE = "studio/reviews.html"


def _reviews(seller: Seller, filters: ReviewFilterForm) -> QuerySet[Review]:
    reviews = Review.objects.filter(seller=seller).select_related("buyer", "reply", "product")
    if filters.is_valid():
        if filters.cleaned_data.get("rating"):
            reviews = reviews.filter(rating=filters.cleaned_data["rating"])
        if filters.cleaned_data.get("unreplied"):
            reviews = reviews.filter(reply__isnull=True, status=ReviewStatus.PUBLISHED)
    return reviews.order_by("-id")


def _context(
    request: HttpRequest, seller: Seller, *, failed: tuple[int, ReplyForm] | None = None
) -> dict[str, Any]:
    filters = ReviewFilterForm(request.GET or None)
    page = Paginator(_reviews(seller, filters), REVIEWS_PER_PAGE).get_page(request.GET.get("page"))
    summary = Review.objects.filter(seller=seller, status=ReviewStatus.PUBLISHED).aggregate(
        count=Count("id"),
        average=Avg("rating"),
        unreplied=Count("id", filter=Q(reply__isnull=True)),
    )
    rows = []
    for review in page.object_list:
        reply: ReviewReply | None = getattr(review, "reply", None)
        form = (
            failed[1]
            if failed and failed[0] == review.pk
            else ReplyForm(initial={"body": reply.body if reply else ""}, prefix=f"r{review.pk}")
        )
        rows.append(
            {
                "review": review,
                "reviewer": reviewer_name(review.buyer),
                "stars": "★" * review.rating + "☆" * (5 - review.rating),
                "reply": reply,
                "form": form,
                "is_open": failed is not None and failed[0] == review.pk,
                "is_hidden": review.status != ReviewStatus.PUBLISHED,
            }
        )
    kept = {
        key: value
        for key, value in (filters.cleaned_data if filters.is_valid() else {}).items()
        if value
    }
    return {
        "seller": seller,
        "filters": filters,
        "page": page,
        "rows": rows,
        "query": urlencode(kept),
        "summary": {
            "count": summary["count"],
            "average": f"{summary['average']:.1f}" if summary["average"] is not None else "",
            "unreplied": summary["unreplied"],
        },
        "delete_form": ConfirmForm(),
    }


@never_cache
@studio_page("studio:reviews")
@require_safe
def review_list(request: HttpRequest) -> HttpResponse:
    return render(request, PAGE, _context(request, authorised_seller(request)))


def _back(request: HttpRequest, review_id: int) -> HttpResponse:
    query = request.POST.get("back", "")
    target = reverse("studio:reviews") + (f"?{query}" if query.isascii() and query else "")
    return HttpResponseRedirect(f"{target}#review-{review_id}")


@never_cache
@studio_page("studio:reviews")
@require_POST
def reply(request: HttpRequest, review_id: int) -> HttpResponse:
    """Write the reply, or change it when there is one."""
    seller = authorised_seller(request)
    form = ReplyForm(request.POST, prefix=f"r{review_id}")
    try:
        if not form.is_valid():
            raise _Invalid
        has_reply = ReviewReply.objects.filter(review_id=review_id, seller=seller).exists()
        write = replies.edit_reply if has_reply else replies.reply_to_review
        write(
            seller=seller,
            author=signed_in_user(request),
            review_id=review_id,
            body=form.cleaned_data["body"],
        )
    except _Invalid:
        return render(request, PAGE, _context(request, seller, failed=(review_id, form)))
    except DomainError as error:
        context = _context(request, seller, failed=(review_id, form))
        return render_with_error(request, PAGE, context, form=form, error=error)
    messages.success(request, "Reply saved; the buyer is told.")
    return _back(request, review_id)


@never_cache
@studio_page("studio:reviews")
@require_POST
def delete_reply(request: HttpRequest, review_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    try:
        replies.delete_reply(seller=seller, review_id=review_id)
    except DomainError as error:
        form = ReplyForm(prefix=f"r{review_id}")
        context = _context(request, seller, failed=(review_id, form))
        return render_with_error(request, PAGE, context, form=form, error=error)
    messages.success(request, "Reply removed.")
    return _back(request, review_id)


class _Invalid(Exception):
    """The reply form did not validate."""
