"""The seller's payout account after onboarding: how often they are paid, and disconnecting
it. Connecting is ``payout_onboarding.start_payout_onboarding`` (the provider's hosted page,
Stripe Connect); the studio's payouts page and the API share these."""

from __future__ import annotations

from django.db import transaction

from core.errors import ErrorKind
from core.payments.errors import PaymentError, PaymentErrorCode
from core.payments.models import Payout, PayoutSchedule, PayoutStatus, SellerPaymentAccount
from core.sellers.models import Seller


def switch_provider(account: SellerPaymentAccount, provider: str) -> None:
    """Make ``account`` one at ``provider`` (not saved): at the account the seller used with
    it before, if any, remembering the current one for a switch back, so a seller who went to
    PayPal and comes back to Stripe finds their Stripe account instead of opening another."""
    if provider == account.provider:
        return
    if account.provider and account.reference:
        account.earlier_references = {
            **account.earlier_references,
            account.provider: account.reference,
        }
    account.provider = provider
    account.reference = account.earlier_references.get(provider, "")


def refuse_while_paying_out(seller: Seller, *, field: str | None = None) -> None:
    """Where a seller is paid does not change while a payout is on its way: the provider's
    answer about it must still find the account it went to (and a payout a risk review holds
    must not leave for an account set after it was asked for). ``field``: the form field the
    refusal is shown beside."""
    if Payout.objects.filter(seller=seller, status=PayoutStatus.PROCESSING).exists():
        raise PaymentError(
            PaymentErrorCode.INVALID_PAYOUT,
            "A payout is on its way to your current payout account; change where you are "
            "paid once it has arrived.",
            details={"field": field} if field else None,
            kind=ErrorKind.CONFLICT,
        )


def _connected_account(seller: Seller) -> SellerPaymentAccount:
    account = SellerPaymentAccount.objects.select_for_update().filter(seller=seller).first()
    if account is None or not account.reference:
        raise PaymentError(
            PaymentErrorCode.PAYOUT_ACCOUNT_MISSING,
            "Connect a payout account first.",
            kind=ErrorKind.CONFLICT,
        )
    return account


@transaction.atomic
def set_payout_schedule(*, seller: Seller, schedule: str) -> SellerPaymentAccount:
    """Weekly (Mondays), monthly (the 1st) or manual (only when the seller asks)."""
    if schedule not in PayoutSchedule.values:
        raise PaymentError(
            PaymentErrorCode.INVALID_PAYOUT,
            "Choose weekly, monthly or manual payouts.",
            details={"field": "schedule"},
            kind=ErrorKind.INVALID,
        )
    account = _connected_account(seller)
    if account.payout_schedule != schedule:
        account.payout_schedule = schedule
        account.save(update_fields=["payout_schedule", "updated_at"])
    return account


@transaction.atomic
def disconnect_payout_account(*, seller: Seller) -> SellerPaymentAccount:
    """Forget where the seller is paid: no payout (scheduled or asked for) goes out until they
    connect an account again. Refused while a payout to the account is still on its way, so
    the provider's answer about it still finds the account. The balance stays owed in the
    ledger. The provider's account itself is the seller's to close there: we only stop
    using it."""
    account = _connected_account(seller)
    # One payout at a time per seller: the same lock request_payout takes.
    Seller.objects.select_for_update().filter(pk=seller.pk).first()
    if Payout.objects.filter(seller=seller, status=PayoutStatus.PROCESSING).exists():
        raise PaymentError(
            PaymentErrorCode.INVALID_PAYOUT,
            "A payout is on its way to this account; disconnect it once it has arrived.",
            kind=ErrorKind.CONFLICT,
        )
    account.reference = ""
    account.is_payouts_enabled = False
    account.save(update_fields=["reference", "is_payouts_enabled", "updated_at"])
    return account
