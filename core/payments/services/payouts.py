"""Paying sellers what the ledger says they are owed. A payout moves the amount from the
seller's payable account to "in transit" in the same transaction that records it, then asks
the provider to transfer; success settles it against the provider's cash, failure returns it
to the seller's balance. ``(seller, currency, run_key)`` is unique, so a scheduled run or a
retried request pays at most once."""

from __future__ import annotations

import logging
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import ErrorKind
from core.money import Money
from core.payments import ledger
from core.payments.errors import PaymentError, PaymentErrorCode
from core.payments.ledger import credit, debit
from core.payments.models import (
    EntryKind,
    Payout,
    PayoutSchedule,
    PayoutStatus,
    SellerPaymentAccount,
)
from core.payments.providers import get_provider
from core.risk.services.assess_payout import is_payout_held
from core.sellers.models import Seller

logger = logging.getLogger(__name__)


def available_balance(seller_id: int, currency: str) -> int:
    return -ledger.balance(ledger.seller_payable(seller_id), currency).amount


def request_payout(
    *,
    seller: Seller,
    currency: str,
    run_key: str,
    amount: int | None = None,
    minimum: int = 0,
) -> Payout:
    """Pay out ``amount`` (default: the whole available balance) of ``currency``."""
    account = SellerPaymentAccount.objects.filter(seller=seller).first()
    if account is None or not account.reference:
        raise PaymentError(
            PaymentErrorCode.PAYOUT_ACCOUNT_MISSING,
            "Set up how you get paid first (Payouts > Connect account).",
            kind=ErrorKind.CONFLICT,
        )
    existing = Payout.objects.filter(seller=seller, currency=currency, run_key=run_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            payout = _reserve(seller, account, currency, run_key, amount, minimum)
    except IntegrityError:  # the same run started concurrently
        return Payout.objects.get(seller=seller, currency=currency, run_key=run_key)
    if is_payout_held(payout=payout):
        return payout  # a risk review holds the transfer: release_held_payout sends it
    return _send(payout, account)


def release_held_payout(*, payout_id: int) -> Payout:
    """Send a payout a risk review held (approved by an operator)."""
    payout = Payout.objects.get(pk=payout_id)
    account = SellerPaymentAccount.objects.filter(seller_id=payout.seller_id).first()
    if payout.status != PayoutStatus.PROCESSING or account is None or not account.reference:
        return payout
    return _send(payout, account)


def _reserve(
    seller: Seller,
    account: SellerPaymentAccount,
    currency: str,
    run_key: str,
    amount: int | None,
    minimum: int,
) -> Payout:
    # One payout at a time per seller: the balance read and the booking are serialised.
    Seller.objects.select_for_update().filter(pk=seller.pk).first()
    available = available_balance(seller.pk, currency)
    wanted = available if amount is None else amount
    if wanted <= 0 or wanted > available:
        raise PaymentError(
            PaymentErrorCode.INSUFFICIENT_BALANCE,
            f"{Money(max(available, 0), currency)} is available to pay out.",
            details={"field": "amount", "available": available},
            kind=ErrorKind.INVALID,
        )
    if wanted < minimum:
        raise PaymentError(
            PaymentErrorCode.BELOW_MINIMUM_PAYOUT,
            f"Payouts start at {Money(minimum, currency)}.",
            details={"field": "amount", "minimum": minimum},
            kind=ErrorKind.INVALID,
        )
    payout = Payout.objects.create(
        seller=seller, currency=currency, amount=wanted, provider=account.provider, run_key=run_key
    )
    ledger.post_entry(
        kind=EntryKind.PAYOUT,
        reference=f"payout:{payout.pk}",
        postings=[
            debit(ledger.seller_payable(seller.pk), Money(wanted, currency), seller.pk),
            credit(ledger.payouts_in_transit(seller.pk), Money(wanted, currency), seller.pk),
        ],
    )
    return payout


def _send(payout: Payout, account: SellerPaymentAccount) -> Payout:
    result = get_provider(account.provider).transfer(
        account_reference=account.reference,
        amount=Money(payout.amount, payout.currency),
        idempotency_key=f"payout-{payout.pk}",
        description=f"Payout {payout.pk}",
    )
    if result.is_successful:
        return settle_payout(payout_id=payout.pk, reference=result.reference)
    return fail_payout(payout_id=payout.pk, reason=result.failure_message or "refused")


@transaction.atomic
def settle_payout(*, payout_id: int, reference: str) -> Payout:
    payout = Payout.objects.select_for_update().get(pk=payout_id)
    if payout.status != PayoutStatus.PROCESSING:
        return payout
    money = Money(payout.amount, payout.currency)
    ledger.post_entry(
        kind=EntryKind.PAYOUT_PAID,
        reference=f"payout:{payout.pk}",
        postings=[
            debit(ledger.payouts_in_transit(payout.seller_id), money, payout.seller_id),
            credit(ledger.PROVIDER_CASH, money),
        ],
    )
    payout.status, payout.provider_reference = PayoutStatus.PAID, reference
    payout.completed_at = timezone.now()
    payout.save(update_fields=["status", "provider_reference", "completed_at"])
    return payout


@transaction.atomic
def fail_payout(*, payout_id: int, reason: str) -> Payout:
    """The money goes back to the seller's available balance."""
    payout = Payout.objects.select_for_update().get(pk=payout_id)
    if payout.status == PayoutStatus.FAILED:
        return payout
    money = Money(payout.amount, payout.currency)
    if payout.status == PayoutStatus.PAID:
        # The provider reversed a transfer it had confirmed: the cash comes back too.
        ledger.post_entry(
            kind=EntryKind.TRANSFER_REVERSAL,
            reference=f"payout:{payout.pk}",
            postings=[
                debit(ledger.PROVIDER_CASH, money),
                credit(ledger.payouts_in_transit(payout.seller_id), money, payout.seller_id),
            ],
        )
    ledger.post_entry(
        kind=EntryKind.PAYOUT_FAILED,
        reference=f"payout:{payout.pk}",
        postings=[
            debit(ledger.payouts_in_transit(payout.seller_id), money, payout.seller_id),
            credit(ledger.seller_payable(payout.seller_id), money, payout.seller_id),
        ],
    )
    payout.status, payout.failure_reason = PayoutStatus.FAILED, reason[:300]
    payout.completed_at = timezone.now()
    payout.save(update_fields=["status", "failure_reason", "completed_at"])
    return payout


def on_transfer_failed(*, provider: str, reference: str, failure_message: str) -> None:
    payout = Payout.objects.filter(provider=provider, provider_reference=reference).first()
    if payout is not None:
        fail_payout(payout_id=payout.pk, reason=failure_message)


def schedule_run_key(schedule: str, today: date) -> str | None:
    """The run a schedule is due for today (Mondays / the 1st), or None."""
    if schedule == PayoutSchedule.WEEKLY and today.weekday() == 0:
        year, week, _ = today.isocalendar()
        return f"weekly:{year}-W{week:02d}"
    if schedule == PayoutSchedule.MONTHLY and today.day == 1:
        return f"monthly:{today:%Y-%m}"
    return None


def run_scheduled_payouts(*, today: date | None = None, minimum: int) -> list[Payout]:
    """Beat (daily): pay every seller whose schedule is due, each currency with at least
    ``minimum`` available. A seller whose transfer fails keeps the balance for next time."""
    today = today or timezone.localdate()
    paid: list[Payout] = []
    accounts = SellerPaymentAccount.objects.exclude(reference="").select_related("seller")
    for account in accounts.exclude(payout_schedule=PayoutSchedule.MANUAL):
        run_key = schedule_run_key(account.payout_schedule, today)
        if run_key is None:
            continue
        for currency, amount in ledger.seller_balances(account.seller_id)["available"].items():
            if amount < max(minimum, 1):
                continue
            try:
                paid.append(
                    request_payout(
                        seller=account.seller, currency=currency, run_key=run_key, minimum=minimum
                    )
                )
            except PaymentError as exc:
                # e.g. the balance moved meanwhile; the next run tries again
                logger.warning("scheduled payout of seller %s skipped: %s", account.seller_id, exc)
    return paid


def recover_overdrawn_balance(*, seller_id: int, currency: str, reference: str) -> int:
    """After a refund of money the seller was already paid, their balance is below zero: take
    the shortfall back from their latest paid payouts (a transfer reversal at the provider),
    newest first. Returns what was recovered; what no payout covers stays owed and is netted
    against the next payout."""
    owed = -available_balance(seller_id, currency)
    recovered = 0
    if owed <= 0:
        return 0
    paid = Payout.objects.filter(
        seller_id=seller_id, currency=currency, status=PayoutStatus.PAID
    ).order_by("-id")
    for payout in paid[:5]:
        if recovered >= owed:
            break
        if not getattr(get_provider(payout.provider), "can_reverse_transfers", True):
            continue  # PayPal payouts are final: the shortfall stays owed (netted next payout)
        amount = min(owed - recovered, payout.amount)
        entry_reference = f"{reference}:payout:{payout.pk}"
        if ledger.is_booked(EntryKind.TRANSFER_REVERSAL, entry_reference):
            continue
        get_provider(payout.provider).reverse_transfer(
            transfer_reference=payout.provider_reference,
            amount=Money(amount, currency),
            idempotency_key=f"reversal-{entry_reference}",
        )
        money = Money(amount, currency)
        ledger.post_entry(
            kind=EntryKind.TRANSFER_REVERSAL,
            reference=entry_reference,
            postings=[
                debit(ledger.PROVIDER_CASH, money),
                credit(ledger.seller_payable(seller_id), money, seller_id),
            ],
        )
        recovered += amount
    return recovered
