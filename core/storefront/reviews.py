"""``/review/<line id>/``: the buyer reviews a completed purchase, reached from the order
page's "Review this". The form validates; ``core.reviews.services.writing.create_review``
decides (only the line's buyer, only once, not their own sale). Another buyer's line is 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.accounts.views import signed_in_user
from core.commerce.models import OrderLine
from core.errors import DomainError, ErrorKind
from core.reviews.models import MAX_RATING, MIN_RATING
from core.reviews.services.writing import MAX_BODY, MAX_TITLE, create_review

STARS = [(value, f"{value} star{'s' if value > 1 else ''}") for value in range(MAX_RATING, 0, -1)]


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="Your rating",
        choices=STARS,
        coerce=int,
        widget=forms.RadioSelect,
    )
    title = forms.CharField(label="Title", max_length=MAX_TITLE, required=False)
    body = forms.CharField(
        label="Your review",
        max_length=MAX_BODY,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What should the next buyer know?",
    )

    def clean_rating(self) -> int:
        rating: int = self.cleaned_data["rating"]
        if not MIN_RATING <= rating <= MAX_RATING:
            raise forms.ValidationError("Choose from one to five stars.")
        return rating


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def write_review(request: HttpRequest, line_id: int) -> HttpResponse:
    buyer = signed_in_user(request)
    line = (
        OrderLine.objects.select_related("product", "sub_order__seller")
        .filter(pk=line_id, order__buyer=buyer)
        .first()
    )
    if line is None:
        raise Http404("No such purchase")
    order_url = reverse("commerce:order", args=[line.order_id])
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            create_review(
                buyer=buyer,
                order_line_id=line.pk,
                rating=form.cleaned_data["rating"],
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
        except DomainError as error:
            if error.kind == ErrorKind.NOT_FOUND:
                raise Http404(error.message) from None
            field = error.details.get("field") if isinstance(error.details, dict) else None
            form.add_error(field if field in form.fields else None, error.message)
        else:
            messages.success(request, "Thank you: your review is published.")
            return HttpResponseRedirect(order_url)
    status = 400 if form.errors else 200
    context = {"form": form, "line": line, "order_url": order_url}
    return render(request, "storefront/write_review.html", context, status=status)
