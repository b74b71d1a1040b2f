"""The dispute pages: the buyer's (``/disputes/``), the seller's in the studio
(``studio:disputes``) and the operators' queue (``operator:disputes``) with the decision form.
One detail template for all three; the page re-renders itself (htmx) on the dispute's live
events (``souk:dispute.*``). Actions call ``core.disputes.services``, as the API does."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.accounts.views import operator_page, signed_in_user
from core.commerce.models import OrderLine
from core.disputes import selectors, services
from core.disputes.models import (
    OPEN_STATUSES,
    Dispute,
    DisputeStatus,
    DisputeType,
    ResolutionType,
)
from core.errors import DomainError
from core.money import Money, MoneyError
from core.sellers.auth import authorised_seller
from core.studio.guards import studio_page

AREAS = {
    "buyer": "disputes/detail.html",
    "studio": "disputes/studio_detail.html",
    "operator": "disputes/operator_detail.html",
}


def _detail_url(area: str, dispute_id: int) -> str:
    if area == "studio":
        return reverse("studio:dispute", args=[dispute_id])
    if area == "operator":
        return reverse("operator:dispute", args=[dispute_id])
    return reverse("dispute", args=[dispute_id])


def _money(amount: int, currency: str) -> str:
    return str(Money(amount, currency))


def _rows(disputes: Any, area: str) -> list[dict[str, Any]]:
    disputes = list(disputes)
    lines = {
        line.pk: line
        for line in OrderLine.objects.filter(
            pk__in=[d.order_line_id for d in disputes if d.order_line_id]
        )
    }
    rows = []
    for dispute in disputes:
        line = lines.get(dispute.order_line_id or 0)
        rows.append(
            {
                "dispute": dispute,
                "href": _detail_url(area, dispute.pk),
                "title": line.title if line else f"Order {dispute.order_id}",
                "amount": _money(line.total if line else 0, dispute.currency),
            }
        )
    return rows


def _context(request: HttpRequest, dispute: Dispute, area: str) -> dict[str, Any]:
    user = signed_in_user(request)
    line = (
        OrderLine.objects.filter(pk=dispute.order_line_id).first()
        if dispute.order_line_id
        else None
    )
    currency = dispute.currency
    left = services.refundable_left(dispute) if line else 0
    party = selectors.party_of(user, dispute)
    if area == "operator":
        party = "operator"

    def who(user_id: int | None) -> str:
        if user_id is None:
            return "Souk"
        if user_id == dispute.complainant_id:
            return "Buyer"
        if user_id in selectors.team_user_ids(dispute.seller_id):
            return "Seller"
        return "Operator"

    timeline = [
        {"event": event, "label": _event_label(event.kind)}
        for event in dispute.events.order_by("created_at", "id")
    ]
    can_appeal = (
        party in ("complainant", "respondent")
        and dispute.status == DisputeStatus.RESOLVED
        and dispute.appealed_at is None
    )
    return {
        "dispute": dispute,
        "area": area,
        "party": party,
        "line": line,
        "detail_url": _detail_url(area, dispute.pk),
        "frozen": _money(dispute.frozen_amount, currency),
        "refundable": _money(left, currency),
        "refundable_minor": left,
        "frozen_minor": dispute.frozen_amount,
        "frozen_decimal": Money(dispute.frozen_amount, currency).to_decimal_string(),
        "refundable_decimal": Money(left, currency).to_decimal_string(),
        "currency": currency,
        "messages_list": [
            {"message": m, "who": who(m.author_id)}
            for m in dispute.messages.order_by("created_at", "id")
        ],
        "evidence_list": [
            {"evidence": e, "who": who(e.author_id)}
            for e in dispute.evidence.order_by("created_at", "id")
        ],
        "timeline": timeline,
        "resolution": {
            "refund": _money(dispute.refund_to_buyer, currency),
            "release": _money(dispute.release_to_seller, currency),
            "compensation": _money(dispute.platform_compensation, currency),
        },
        "is_open": dispute.status in OPEN_STATUSES,
        "can_talk": dispute.status != DisputeStatus.CLOSED and dispute.kind != "chargeback",
        "can_appeal": can_appeal,
        "can_resolve": area == "operator"
        and dispute.status in (DisputeStatus.PENDING, DisputeStatus.IN_REVIEW)
        and dispute.kind != DisputeType.CHARGEBACK,
        "can_decide_appeal": area == "operator"
        and dispute.status == DisputeStatus.APPEALED
        and dispute.decided_by_id != user.pk,
        "is_first_decider": dispute.decided_by_id == user.pk,
        "resolution_types": ResolutionType.choices,
        "stripe_fields": services.stripe_evidence(dispute)
        if area == "operator" and dispute.kind == DisputeType.CHARGEBACK
        else None,
        "can_submit_evidence": area == "operator"
        and dispute.kind == DisputeType.CHARGEBACK
        and bool(dispute.provider_dispute_id)
        and dispute.evidence_submitted_at is None
        and dispute.status != DisputeStatus.CLOSED,
    }


EVENT_LABELS = {
    "opened": "Dispute opened",
    "comment": "Comment",
    "evidence": "Evidence added",
    "in_review": "Taken for review",
    "resolved": "Decision",
    "appealed": "Appealed",
    "appeal_decided": "Appeal decided",
    "final": "Decision final",
    "chargeback_opened": "Card chargeback opened",
    "chargeback_closed": "Card chargeback closed",
    "evidence_submitted": "Evidence sent to the card network",
}


def _event_label(kind: str) -> str:
    return EVENT_LABELS.get(kind, kind.replace("_", " ").capitalize())


def _render_detail(request: HttpRequest, dispute: Dispute, area: str) -> HttpResponse:
    return render(request, AREAS[area], _context(request, dispute, area))


# --- buyer -------------------------------------------------------------------------------------


@never_cache
@login_required
@require_safe
def buyer_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    disputes = Dispute.objects.filter(complainant=user).order_by("-created_at", "-id")[:100]
    return render(request, "disputes/list.html", {"rows": _rows(disputes, "buyer")})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def buyer_open(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    raw = request.POST.get("line") or request.GET.get("line") or ""
    line = OrderLine.objects.filter(pk=int(raw) if raw.isdigit() else 0).first()
    if line is None or line.order.buyer_id != user.pk:
        raise Http404("No such item")
    existing = Dispute.objects.filter(order_line_id=line.pk, status__in=OPEN_STATUSES).first()
    if existing is not None and existing.complainant_id == user.pk:
        return HttpResponseRedirect(reverse("dispute", args=[existing.pk]))
    error = ""
    if request.method == "POST":
        try:
            dispute = services.open_dispute(
                user=user,
                order_line_id=line.pk,
                kind=request.POST.get("type", ""),
                reason=request.POST.get("reason", ""),
            )
        except DomainError as failure:
            error = failure.message
        else:
            messages.success(request, "Dispute opened. The seller has been told.")
            return HttpResponseRedirect(reverse("dispute", args=[dispute.pk]))
    return render(
        request,
        "disputes/open.html",
        {
            "line": line,
            "types": [(k, v) for k, v in DisputeType.choices if k != DisputeType.CHARGEBACK],
            "error": error,
            "chosen": request.POST.get("type", ""),
            "reason": request.POST.get("reason", ""),
            "respond_days": services.dispute_settings().respond_days,
        },
        status=400 if error else 200,
    )


@never_cache
@login_required
@require_safe
def buyer_detail(request: HttpRequest, dispute_id: int) -> HttpResponse:
    user = signed_in_user(request)
    dispute = Dispute.objects.filter(pk=dispute_id, complainant=user).first()
    if dispute is None:
        raise Http404("No such dispute")
    return _render_detail(request, dispute, "buyer")


def _visible(request: HttpRequest, dispute_id: int, area: str) -> Dispute:
    user = signed_in_user(request)
    dispute = Dispute.objects.filter(pk=dispute_id).first()
    if dispute is None:
        raise Http404("No such dispute")
    if area == "buyer" and dispute.complainant_id == user.pk:
        return dispute
    if area == "studio" and dispute.seller_id == authorised_seller(request).pk:
        return dispute
    if area == "operator" and selectors.is_operator(user):
        return dispute
    raise Http404("No such dispute")


def _act(request: HttpRequest, dispute_id: int, area: str) -> HttpResponse:
    """Comment, evidence and appeal from any area (the services check the party again)."""
    dispute = _visible(request, dispute_id, area)
    user = signed_in_user(request)
    action = request.POST.get("action", "")
    try:
        if action == "comment":
            services.add_comment(
                user=user, dispute_id=dispute.pk, text=request.POST.get("text", "")
            )
            messages.success(request, "Comment posted.")
        elif action == "evidence":
            services.add_evidence(
                user=user,
                dispute_id=dispute.pk,
                text=request.POST.get("text", ""),
                upload=request.FILES.get("file"),
            )
            messages.success(request, "Evidence added.")
        elif action == "appeal":
            services.appeal(user=user, dispute_id=dispute.pk, text=request.POST.get("text", ""))
            messages.success(request, "Appeal sent: another operator will decide it.")
        elif action == "review" and area == "operator":
            services.take_for_review(operator=user, dispute_id=dispute.pk)
            messages.success(request, "Taken for review.")
        elif action == "resolve" and area == "operator":
            split = _split(request, dispute.currency)
            services.resolve(operator=user, dispute_id=dispute.pk, **split)
            messages.success(request, "Decision recorded; the money moved.")
        elif action == "submit_evidence" and area == "operator":
            services.submit_chargeback_evidence(operator=user, dispute_id=dispute.pk)
            messages.success(request, "Evidence sent to the card network.")
        elif action == "decide_appeal" and area == "operator":
            upheld = request.POST.get("upheld") == "yes"
            compensation = _amount(request.POST.get("compensation", ""), dispute.currency)
            services.decide_appeal(
                operator=user,
                dispute_id=dispute.pk,
                upheld=upheld,
                compensation=0 if upheld else compensation,
                note=request.POST.get("note", ""),
            )
            messages.success(request, "Appeal decided; the dispute is closed.")
        else:
            raise Http404("No such action")
    except DomainError as failure:
        messages.error(request, failure.message)
    return HttpResponseRedirect(_detail_url(area, dispute.pk))


def _amount(text: str, currency: str) -> int:
    text = (text or "").strip()
    if not text:
        return 0
    try:
        return Money.parse(text, currency).amount
    except (MoneyError, ValueError):
        from core.disputes.errors import DisputeError, DisputeErrorCode

        raise DisputeError(DisputeErrorCode.INVALID_SPLIT, f"{text!r} is not an amount.") from None


def _split(request: HttpRequest, currency: str) -> dict[str, Any]:
    return {
        "resolution_type": request.POST.get("resolution_type", ""),
        "refund_to_buyer": _amount(request.POST.get("refund_to_buyer", ""), currency),
        "release_to_seller": _amount(request.POST.get("release_to_seller", ""), currency),
        "platform_compensation": _amount(request.POST.get("platform_compensation", ""), currency),
        "note": request.POST.get("note", ""),
    }


@login_required
@require_POST
def buyer_act(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _act(request, dispute_id, "buyer")


@login_required
@require_safe
def evidence_file(request: HttpRequest, dispute_id: int, evidence_id: int) -> HttpResponse:
    """An evidence file for a party or an operator (the same check as the API)."""
    from core.disputes.api import serve_evidence
    from core.disputes.errors import DisputeError

    try:
        evidence = selectors.evidence_for(signed_in_user(request), dispute_id, evidence_id)
        return serve_evidence(evidence)  # type: ignore[return-value]
    except DisputeError:
        raise Http404("No such file") from None


# --- studio ------------------------------------------------------------------------------------


@never_cache
@studio_page("studio:disputes")
@require_safe
def studio_list(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    disputes = Dispute.objects.filter(seller_id=seller.pk).order_by("-created_at", "-id")[:100]
    return render(
        request, "disputes/studio_list.html", {"seller": seller, "rows": _rows(disputes, "studio")}
    )


@never_cache
@studio_page("studio:disputes")
@require_safe
def studio_detail(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = _visible(request, dispute_id, "studio")
    context = _context(request, dispute, "studio")
    context["seller"] = authorised_seller(request)
    return render(request, AREAS["studio"], context)


@studio_page("studio:disputes")
@require_POST
def studio_act(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _act(request, dispute_id, "studio")


# --- operators ---------------------------------------------------------------------------------


@never_cache
@require_safe
@operator_page
def operator_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    disputes = Dispute.objects.all()
    if status == "open":
        disputes = disputes.filter(status__in=OPEN_STATUSES)
    elif status in DisputeStatus.values:
        disputes = disputes.filter(status=status)
    return render(
        request,
        "disputes/operator_list.html",
        {
            "rows": _rows(disputes.order_by("respond_by", "created_at", "id")[:200], "operator"),
            "status": status,
            "statuses": [("open", "Open"), *DisputeStatus.choices, ("all", "All")],
            "config": services.dispute_settings(),
        },
    )


@require_POST
@operator_page
def operator_settings(request: HttpRequest) -> HttpResponse:
    values = {}
    for name in services.SETTING_LIMITS:
        raw = request.POST.get(name, "").strip()
        if not raw.isdigit():
            messages.error(request, "Days are whole numbers.")
            return HttpResponseRedirect(reverse("operator:disputes"))
        values[name] = int(raw)
    try:
        services.update_dispute_settings(operator=signed_in_user(request), **values)
    except DomainError as failure:
        messages.error(request, failure.message)
    else:
        messages.success(request, "Dispute settings saved; open disputes keep their deadlines.")
    return HttpResponseRedirect(reverse("operator:disputes"))


@never_cache
@require_safe
@operator_page
def operator_detail(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _render_detail(request, _visible(request, dispute_id, "operator"), "operator")


@require_POST
@operator_page
def operator_act(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _act(request, dispute_id, "operator")
