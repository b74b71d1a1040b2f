"""Sellers' balance and payouts (``/api/v1/seller/payouts``) and the operators' payout report
and ledger trial balance (``/api/v1/operator/payouts``). Commerce serves them, above payments:
they apply the marketplace's payout policy (commerce settings) to the ledger and payouts."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Field, Query, Router, Schema

from core.accounts.principal import principal_of
from core.commerce import reports
from core.commerce.schemas import (
    BalanceOut,
    PayoutOnboardingOut,
    PayoutOut,
    PayoutReportRowOut,
    PayoutScheduleOut,
    TrialBalanceOut,
)
from core.commerce.selectors import commerce_settings
from core.idempotency.store import run_idempotent
from core.money import Money
from core.payments import ledger
from core.payments.models import Payout, PayoutSchedule, SellerPaymentAccount
from core.payments.services.payout_account import set_payout_schedule
from core.payments.services.payout_onboarding import start_payout_onboarding
from core.payments.services.payouts import request_payout
from core.payments.services.paypal_payout_account import choose_paypal_payouts
from core.schemas import StrictSchema
from core.sellers.auth import authorised_seller

# Money out is the owner's or a teammate's with the integration permission: api/v1.py mounts
# these with seller_team_auth(configure_integration) and operator_auth().
seller_payouts_router = Router()
operator_payouts_router = Router()


def _money_map(amounts: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"amount": amount, "currency": currency, "display": str(Money(amount, currency))}
        for currency, amount in sorted(amounts.items())
    ]


def _payout_dict(payout: Payout) -> dict[str, Any]:
    return {
        "id": payout.pk,
        "amount": {
            "amount": payout.amount,
            "currency": payout.currency,
            "display": str(Money(payout.amount, payout.currency)),
        },
        "status": payout.status,
        "failure_reason": payout.failure_reason,
        "run": payout.run_key.split(":", 1)[0],
        "requested_at": payout.requested_at.isoformat(),
        "completed_at": payout.completed_at.isoformat() if payout.completed_at else None,
    }


@seller_payouts_router.get(
    "/balance", response=BalanceOut, summary="What you are owed: available, in escrow, paid out"
)
def balance(request: HttpRequest) -> dict[str, Any]:
    seller = authorised_seller(request)
    balances = ledger.seller_balances(seller.pk)
    account = SellerPaymentAccount.objects.filter(seller=seller).first()
    return {
        "available": _money_map(balances["available"]),
        "escrow": _money_map(balances["escrow"]),
        "in_transit": _money_map(balances["in_transit"]),
        "minimum_payout": commerce_settings().minimum_payout,
        "payout_schedule": account.payout_schedule if account else PayoutSchedule.WEEKLY,
        "is_payouts_enabled": bool(account and account.is_payouts_enabled),
    }


@seller_payouts_router.get("", response=list[PayoutOut], summary="Your payouts, newest first")
def payouts(request: HttpRequest) -> list[dict[str, Any]]:
    seller = authorised_seller(request)
    return [_payout_dict(p) for p in Payout.objects.filter(seller=seller).order_by("-id")[:100]]


class PayoutIn(StrictSchema):
    currency: str = Field(max_length=3)
    amount: int | None = Field(None, description="Minor units; omit for everything available")


@seller_payouts_router.post(
    "", response={201: PayoutOut}, summary="Pay out now (needs an Idempotency-Key)"
)
def create_payout(request: HttpRequest, payload: PayoutIn) -> JsonResponse:
    seller = authorised_seller(request)
    user_id = principal_of(request).user.pk

    def operation(key: str) -> tuple[int, dict[str, Any]]:
        payout = request_payout(
            seller=seller,
            currency=payload.currency.upper(),
            run_key=f"manual:{key}"[:80],
            amount=payload.amount,
            minimum=commerce_settings().minimum_payout,
        )
        return 201, _payout_dict(payout)

    return run_idempotent(
        request, user_id=user_id, scope="payout", body=payload.model_dump(), operation=operation
    )


class ScheduleIn(StrictSchema):
    schedule: PayoutSchedule


@seller_payouts_router.put("/schedule", response=PayoutScheduleOut)
def set_schedule(request: HttpRequest, payload: ScheduleIn) -> dict[str, Any]:
    account = set_payout_schedule(seller=authorised_seller(request), schedule=payload.schedule)
    return {"payout_schedule": account.payout_schedule}


class OnboardingIn(StrictSchema):
    return_url: str = Field(max_length=500)
    refresh_url: str = Field(max_length=500)


@seller_payouts_router.post(
    "/account",
    response=PayoutOnboardingOut,
    summary="Connect (or continue connecting) where you get paid",
)
def onboarding(request: HttpRequest, payload: OnboardingIn) -> dict[str, Any]:
    started = start_payout_onboarding(
        seller=authorised_seller(request),
        return_url=payload.return_url,
        refresh_url=payload.refresh_url,
    )
    return {"url": started.url, "is_payouts_enabled": started.account.is_payouts_enabled}


class PayPalPayoutsIn(StrictSchema):
    email: str = Field(max_length=254, description="The e-mail address of your PayPal account")


class PayPalPayoutsOut(Schema):
    provider: str
    email: str
    is_payouts_enabled: bool
    payout_schedule: PayoutSchedule


@seller_payouts_router.put(
    "/account/paypal",
    response=PayPalPayoutsOut,
    summary="Get paid with PayPal, at this PayPal e-mail address",
)
def choose_paypal(request: HttpRequest, payload: PayPalPayoutsIn) -> dict[str, Any]:
    account = choose_paypal_payouts(seller=authorised_seller(request), email=payload.email)
    return {
        "provider": account.provider,
        "email": account.reference,
        "is_payouts_enabled": account.is_payouts_enabled,
        "payout_schedule": account.payout_schedule,
    }


# --- operators --------------------------------------------------------------------------------


class ReportQuery(Schema):
    date_from: date | None = Field(None, alias="from")
    date_to: date | None = Field(None, alias="to")


@operator_payouts_router.get(
    "", response=list[PayoutReportRowOut], summary="Payouts per seller and status in a period"
)
def payout_report(request: HttpRequest, params: Query[ReportQuery]) -> list[dict[str, Any]]:
    return [
        {
            "seller_id": row.seller_id,
            "seller": row.seller_name,
            "currency": row.currency,
            "status": row.status,
            "count": row.count,
            "total": row.total,
        }
        for row in reports.payout_report(date_from=params.date_from, date_to=params.date_to)
    ]


@operator_payouts_router.get(
    "/ledger", response=TrialBalanceOut, summary="Trial balance: every account kind per currency"
)
def trial_balance(request: HttpRequest) -> dict[str, Any]:
    balance = reports.trial_balance()
    return {"accounts": balance.accounts, "is_balanced": balance.is_balanced}
