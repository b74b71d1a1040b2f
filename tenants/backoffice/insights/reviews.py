"""Reviews moderation pages (``/operator/reviews/``): the queue of reported reviews first,
then every review by status; a review's page with its reports and the hide (with a reason the
buyer is told), restore and dismiss-reports actions of ``core.reviews.services.moderation``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from ninja.errors import HttpError

from core.accounts.views import operator_page
from core.errors import DomainError
from core.pagination import keyset_page
from core.reviews.models import Review, ReviewReport, ReviewStatus
from core.reviews.services import moderation

PAGE_SIZE = 25
SHOWS = {
    "reported": "Reported",
    "published": "Published",
    "hidden": "Hidden",
    "all": "All reviews",
}


class HideForm(forms.Form):
    reason = forms.CharField(
        label="Why is it hidden?",
        max_length=moderation.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The buyer is e-mailed this reason.",
    )


def _reviews() -> QuerySet[Review]:
    return Review.objects.select_related("buyer", "product", "seller").annotate(
        open_report_count=Count("reports", filter=Q(reports__resolved_at__isnull=True))
    )


def _shown(show: str) -> QuerySet[Review]:
    reviews = _reviews()
    if show == "reported":
        has_open = Exists(
            ReviewReport.objects.filter(review=OuterRef("pk"), resolved_at__isnull=True)
        )
        return reviews.filter(has_open)
    if show in (ReviewStatus.PUBLISHED, ReviewStatus.HIDDEN):
        return reviews.filter(status=show)
    return reviews


@require_GET
@operator_page
def review_queue(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "reported")
    if show not in SHOWS:
        show = "reported"
    try:
        rows, cursor = keyset_page(
            _shown(show), ordering=("-id",), limit=PAGE_SIZE, cursor=request.GET.get("cursor")
        )
    except HttpError:
        messages.error(request, "That page link is out of date; here is the first page.")
        return HttpResponseRedirect(f"{reverse('operator:reviews')}?show={show}")
    return render(
        request,
        "backoffice/reviews.html",
        {"reviews": rows, "next_cursor": cursor, "show": show, "shows": SHOWS.items()},
    )


def _review(review_id: int) -> Review:
    review = _reviews().filter(pk=review_id).first()
    if review is None:
        raise Http404("No such review.")
    return review


def _detail(
    request: HttpRequest, review: Review, hide_form: HideForm, **extra: Any
) -> HttpResponse:
    reports = ReviewReport.objects.filter(review=review).select_related("reporter").order_by("id")
    return render(
        request,
        "backoffice/reviews_detail.html",
        {"review": review, "reports": reports, "hide_form": hide_form, **extra},
    )


@require_http_methods(["GET", "POST"])
@operator_page
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review(review_id)
    form = HideForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            moderation.hide_review(
                operator=request.user,  # type: ignore[arg-type]
                review_id=review.pk,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            form.add_error("reason" if error.details else None, error.message)
        else:
            messages.success(request, "The review is hidden and the buyer was told why.")
            return HttpResponseRedirect(reverse("operator:review", args=[review.pk]))
    return _detail(request, review, form)


def _act(request: HttpRequest, review_id: int, action: str) -> HttpResponse:
    review = _review(review_id)
    try:
        if action == "restore":
            moderation.restore_review(operator=request.user, review_id=review.pk)  # type: ignore[arg-type]
            messages.success(request, "The review is shown again.")
        else:
            count = moderation.dismiss_reports(operator=request.user, review_id=review.pk)  # type: ignore[arg-type]
            messages.success(request, f"{count} report{'s' if count != 1 else ''} dismissed.")
    except DomainError as error:
        messages.error(request, error.message)
    return HttpResponseRedirect(reverse("operator:review", args=[review.pk]))


@require_POST
@operator_page
def restore_review(request: HttpRequest, review_id: int) -> HttpResponse:
    return _act(request, review_id, "restore")


@require_POST
@operator_page
def dismiss_reports(request: HttpRequest, review_id: int) -> HttpResponse:
    return _act(request, review_id, "dismiss")
