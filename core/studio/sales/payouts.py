"""The studio's payouts (``/studio/payouts/``, the shop's owner only): what the ledger owes the
seller (available, held in escrow, on its way), the available balance over time, the
payouts so far, the schedule, paying out now (idempotent: the form's key is the payout's run
key) and connecting or disconnecting the account they are paid to (the provider's hosted
onboarding, Stripe Connect, as in the seller wizard) or, where the marketplace has PayPal on,
getting paid with PayPal at the seller's PayPal e-mail address."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from core.accounts.forms import ServiceForm
from core.accounts.views import base_url, render_with_error
from core.charts import Chart, Series
from core.commerce.selectors import commerce_settings
from core.errors import DomainError
from core.money import Money
from core.payments import ledger
from core.payments.models import Payout, PayoutSchedule, PayoutStatus, SellerPaymentAccount
from core.payments.providers import get_provider
from core.payments.services.payout_account import (
    disconnect_payout_account,
    set_payout_schedule,
)
from core.payments.services.payout_onboarding import start_payout_onboarding
from core.payments.services.payouts import request_payout
from core.payments.services.paypal_payout_account import (
    choose_paypal_payouts,
    is_paypal_payouts_offered,
)
from core.security_headers import allow_form_action
from core.sellers.auth import authorised_seller
from core.sellers.forms import PayPalPayoutsForm
from core.sellers.models import Seller
from core.studio.guards import studio_page
from core.studio.sales import selectors
from core.studio.sales.forms import ConfirmForm, PayoutRequestForm, PayoutScheduleForm

PAGE = "studio/payouts.html"
HISTORY_ROWS = 50
CHART_DAYS = 90


def _provider_origins(request: HttpRequest) -> tuple[str, ...]:
    return get_provider().onboarding_origins()


def _money_list(amounts: dict[str, int]) -> list[Money]:
    return [Money(amount, currency) for currency, amount in sorted(amounts.items()) if amount]


def _chart(seller: Seller, currency: str) -> Chart:
    points = selectors.available_balance_by_day(seller, currency, days=CHART_DAYS)
    return Chart(
        id="available-balance",
        title=f"Available balance, last {CHART_DAYS} days ({currency})",
        kind="line",
        labels=[point.day.isoformat() for point in points],
        series=[Series("Available", [point.amount for point in points])],
        unit="money",
        currency=currency,
        empty_message="No money has moved through your balance in this period.",
    )


def _context(
    request: HttpRequest, seller: Seller, *, paypal_saved: bool = False, **forms: ServiceForm | None
) -> dict[str, Any]:
    balances = ledger.seller_balances(seller.pk)
    account = SellerPaymentAccount.objects.filter(seller=seller).first()
    is_connected = bool(account and account.reference)
    currencies = sorted(
        {*balances["available"], *balances["escrow"], *balances["in_transit"]}
        | set(Payout.objects.filter(seller=seller).values_list("currency", flat=True).distinct())
    )
    chosen = request.GET.get("currency", "")
    currency = chosen if chosen in currencies else (currencies[0] if currencies else "")
    payable = [code for code, amount in sorted(balances["available"].items()) if amount > 0]
    history = Payout.objects.filter(seller=seller).order_by("-id")[:HISTORY_ROWS]
    minimum = commerce_settings().minimum_payout
    nothing = [Money(0, currency)] if currency else []
    return {
        "seller": seller,
        "available": _money_list(balances["available"]) or nothing,
        "escrow": _money_list(balances["escrow"]) or nothing,
        "in_transit": _money_list(balances["in_transit"]) or nothing,
        "currencies": currencies,
        "currency": currency,
        "chart": _chart(seller, currency) if currency else None,
        "account": account,
        "is_connected": is_connected,
        "schedule_label": PayoutSchedule(account.payout_schedule).label if account else "",
        "minimum": minimum,
        "history": [
            {
                "payout": payout,
                "amount": Money(payout.amount, payout.currency),
                "status": PayoutStatus(payout.status).label,
                "run": "Asked for" if payout.run_key.startswith("manual:") else "Scheduled",
            }
            for payout in history
        ],
        "connect_form": forms.get("connect_form") or ConfirmForm(),
        "disconnect_form": forms.get("disconnect_form") or ConfirmForm(),
        "schedule_form": forms.get("schedule_form")
        or PayoutScheduleForm(
            initial={"schedule": account.payout_schedule if account else PayoutSchedule.WEEKLY}
        ),
        "payout_form": forms.get("payout_form") or PayoutRequestForm(currencies=payable),
        "payable": payable,
        "is_paypal_offered": is_paypal_payouts_offered(),
        "is_paid_with_paypal": is_connected
        and account is not None
        and account.provider == "paypal",
        "paypal_form": forms.get("paypal_form")
        or PayPalPayoutsForm(
            initial={"email": account.reference if account and account.provider == "paypal" else ""}
        ),
        "paypal_saved": paypal_saved,
    }


def _back() -> HttpResponse:
    return HttpResponseRedirect(reverse("studio:payouts"))


@never_cache
@studio_page("studio:payouts")
@allow_form_action(_provider_origins)
@require_safe
def payouts_page(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    return render(request, PAGE, _context(request, seller))


@never_cache
@studio_page("studio:payouts")
@require_POST
def pay_out(request: HttpRequest) -> HttpResponse:
    """Pay out now. The form's key is the run key: a double submit pays once."""
    seller = authorised_seller(request)
    sent_key = request.POST.get("idempotency_key", "")
    earlier = (
        Payout.objects.filter(seller=seller, run_key=f"manual:{sent_key}"[:80]).first()
        if sent_key
        else None
    )
    if earlier is not None:  # the same form again (a double click, a reload): no new payout
        return _answer(request, earlier)
    balances = ledger.seller_balances(seller.pk)["available"]
    payable = [code for code, amount in sorted(balances.items()) if amount > 0]
    form = PayoutRequestForm(request.POST, currencies=payable)
    if not form.is_valid():
        return render(request, PAGE, _context(request, seller, payout_form=form))
    try:
        payout = request_payout(
            seller=seller,
            currency=form.cleaned_data["currency"],
            run_key=f"manual:{form.cleaned_data['idempotency_key']}"[:80],
            amount=form.cleaned_data["minor_amount"],
            minimum=commerce_settings().minimum_payout,
        )
    except DomainError as error:
        context = _context(request, seller, payout_form=form)
        return render_with_error(request, PAGE, context, form=form, error=error)
    return _answer(request, payout)


def _answer(request: HttpRequest, payout: Payout) -> HttpResponse:
    money = Money(payout.amount, payout.currency)
    if payout.status == PayoutStatus.FAILED:
        messages.error(request, f"The payout of {money} failed: {payout.failure_reason}")
    else:
        messages.success(request, f"Payout of {money}: {PayoutStatus(payout.status).label}.")
    return _back()


@never_cache
@studio_page("studio:payouts")
@require_POST
def change_schedule(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    form = PayoutScheduleForm(request.POST)
    if not form.is_valid():
        return render(request, PAGE, _context(request, seller, schedule_form=form))
    try:
        account = set_payout_schedule(seller=seller, schedule=form.cleaned_data["schedule"])
    except DomainError as error:
        context = _context(request, seller, schedule_form=form)
        return render_with_error(request, PAGE, context, form=form, error=error)
    label = PayoutSchedule(account.payout_schedule).label
    messages.success(request, f"Payouts: {label[0].lower()}{label[1:]}.")
    return _back()


@never_cache
@studio_page("studio:payouts")
@allow_form_action(_provider_origins)
@require_POST
def connect(request: HttpRequest) -> HttpResponse:
    """The provider's hosted onboarding (Stripe Connect), which sends the seller back here;
    the sandbox has no such page and connects at once."""
    seller = authorised_seller(request)
    form = ConfirmForm(request.POST)
    back = base_url(request) + reverse("studio:payouts")
    try:
        started = start_payout_onboarding(seller=seller, return_url=back, refresh_url=back)
    except DomainError as error:
        context = _context(request, seller, connect_form=form)
        return render_with_error(request, PAGE, context, form=form, error=error)
    if started.url == back:
        messages.success(request, "Your payout account is connected.")
        return _back()
    return HttpResponseRedirect(started.url)


@never_cache
@studio_page("studio:payouts")
@require_POST
def disconnect(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    form = ConfirmForm(request.POST)
    try:
        disconnect_payout_account(seller=seller)
    except DomainError as error:
        context = _context(request, seller, disconnect_form=form)
        return render_with_error(request, PAGE, context, form=form, error=error)
    messages.success(
        request,
        "Your payout account is disconnected. Nothing is paid out until you connect one again.",
    )
    return _back()


@never_cache
@studio_page("studio:payouts")
@require_POST
def choose_paypal(request: HttpRequest) -> HttpResponse:
    """Get paid with PayPal at the address entered. The form posts with htmx and swaps the
    account and pay-out cards in place (the answer is the page, the cards picked out of it);
    without JavaScript it is an ordinary post and redirect."""
    seller = authorised_seller(request)
    form = PayPalPayoutsForm(request.POST)
    if not form.is_valid():
        return render(request, PAGE, _context(request, seller, paypal_form=form))
    try:
        account = choose_paypal_payouts(seller=seller, email=form.cleaned_data["email"])
    except DomainError as error:
        context = _context(request, seller, paypal_form=form)
        if not context["is_paypal_offered"]:  # turned off meanwhile: the form is gone
            messages.error(request, error.message)
            return _back()
        return render_with_error(request, PAGE, context, form=form, error=error)
    if request.headers.get("HX-Request") == "true":
        return render(request, PAGE, _context(request, seller, paypal_saved=True))
    messages.success(request, f"You are paid with PayPal, at {account.reference}.")
    return _back()
