"""The operator's "Risk review" pages: the queue of held checkouts and payouts with the
reasons they were held (approve / reject), recent decisions, and the marketplace's risk
thresholds. Operators only (``operator_page``); the services decide, these pages render."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.accounts.views import operator_page, signed_in_user
from core.charts import Chart, Series
from core.errors import DomainError
from core.money import Money
from core.risk import selectors
from core.risk.forms import DecisionForm, RiskSettingsForm
from core.risk.models import RiskAssessment, Subject
from core.risk.services import decide
from core.risk.services.settings import update_risk_settings
from core.sellers.models import Seller

CHART_DAYS = 14


@dataclass(frozen=True)
class QueueRow:
    assessment: RiskAssessment
    title: str
    who: str
    amount: Money
    reasons: list[dict[str, object]]
    later_attempts: int = 0


def _row(
    assessment: RiskAssessment, sellers: dict[int, Seller], attempts: dict[int, int]
) -> QueueRow:
    if assessment.subject == Subject.CHECKOUT:
        title = f"Order {assessment.order_id}"
        who = assessment.buyer.email if assessment.buyer else "(deleted buyer)"
    else:
        title = f"Payout {assessment.payout_id}"
        seller = sellers.get(assessment.seller_id or 0)
        who = seller.business_name if seller else f"Seller {assessment.seller_id}"
    reasons = [reason for reason in assessment.reasons if isinstance(reason, dict)]
    return QueueRow(
        assessment,
        title,
        who,
        Money(assessment.amount, assessment.currency),
        reasons,
        attempts.get(assessment.order_id or 0, 0),
    )


@require_http_methods(["GET", "POST"])
@operator_page
def review_queue(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            verb = decide.approve if data["decision"] == "approve" else decide.reject
            try:
                verb(
                    assessment_id=data["assessment"],
                    operator=signed_in_user(request),
                    note=data["note"],
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                done = "approved" if data["decision"] == "approve" else "rejected"
                messages.success(request, f"Review {data['assessment']} {done}.")
        else:
            messages.error(request, "Choose approve or reject.")
        return HttpResponseRedirect(reverse("operator:risk_review"))
    queue = list(selectors.review_queue()[:100])
    sellers = Seller.objects.in_bulk({item.seller_id for item in queue if item.seller_id})
    attempts = selectors.later_attempts({item.order_id for item in queue if item.order_id})
    return render(
        request,
        "backoffice/risk_review.html",
        {
            "rows": [_row(assessment, sellers, attempts) for assessment in queue],
            "decisions": selectors.recent_decisions(),
            "chart": _outcomes_chart(),
        },
    )


# The outcomes in the colours people read them by, whatever the marketplace's brand.
ALLOWED_GREEN, REVIEWED_AMBER, BLOCKED_RED = "#1e7d3a", "#d48806", "#b00020"


def _outcomes_chart() -> Chart:
    dates, counts = selectors.checkout_outcomes_by_day(days=CHART_DAYS)
    return Chart(
        id="risk-outcomes",
        title=f"Checkouts by risk outcome, last {CHART_DAYS} days",
        kind="bar",
        labels=[day.strftime("%d %b") for day in dates],
        series=[
            Series("Allowed", counts["allow"], colour=ALLOWED_GREEN),
            Series("Reviewed", counts["review"], colour=REVIEWED_AMBER),
            Series("Blocked", counts["block"], colour=BLOCKED_RED),
        ],
        empty_message="No checkouts in the last two weeks.",
    )


@require_http_methods(["GET", "POST"])
@operator_page
def risk_settings(request: HttpRequest) -> HttpResponse:
    row = selectors.risk_settings()
    form = RiskSettingsForm(
        request.POST if request.method == "POST" else None,
        initial=RiskSettingsForm.initial_of(row),
    )
    if form.is_bound and form.is_valid():
        try:
            update_risk_settings(**form.changes())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, "Risk thresholds saved.")
            return HttpResponseRedirect(reverse("operator:risk_settings"))
    return render(request, "backoffice/risk_settings.html", {"form": form})
