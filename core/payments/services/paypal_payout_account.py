"""A seller chooses to be paid with PayPal: their PayPal e-mail address becomes the account
their payouts go to (PayPal Payouts, ``PayPalProvider.transfer``), in place of the
marketplace's card provider's hosted onboarding. Offered only where the marketplace's
operators have turned PayPal on. The studio's payouts page and the seller API
(``PUT /seller/payouts/account/paypal``) share this one path."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core.errors import ErrorKind
from core.payments.errors import PaymentError, PaymentErrorCode
from core.payments.models import PayoutSchedule, SellerPaymentAccount
from core.payments.providers.paypal_settings import PROVIDER, is_paypal_enabled
from core.payments.services.payout_account import refuse_while_paying_out, switch_provider
from core.sellers.models import Seller
from core.sellers.services.onboarding import complete_payout_setup


def is_paypal_payouts_offered() -> bool:
    """Whether sellers of this marketplace may be paid with PayPal (the operators' app is set
    up and on)."""
    return is_paypal_enabled()


def clean_paypal_email(email: str) -> str:
    """One address, as PayPal Payouts takes it as the receiver: trimmed, domain lowercased."""
    candidate = email.strip()
    try:
        validate_email(candidate)
    except ValidationError:
        raise PaymentError(
            PaymentErrorCode.INVALID_PAYOUT,
            "Enter the e-mail address of your PayPal account, like name@example.com.",
            details={"field": "email"},
            kind=ErrorKind.INVALID,
        ) from None
    local, _, domain = candidate.rpartition("@")
    return f"{local}@{domain.lower()}"


@transaction.atomic
def choose_paypal_payouts(*, seller: Seller, email: str) -> SellerPaymentAccount:
    """Pay ``seller`` at the PayPal account of ``email`` from now on; their schedule stays.
    Refused where PayPal is off, and while a payout is on its way (its answer from the
    provider must still find the account it went to, and a payout a risk review holds must
    not leave for an address set after it was asked for)."""
    if not is_paypal_payouts_offered():
        raise PaymentError(
            PaymentErrorCode.PROVIDER_UNAVAILABLE,
            "This marketplace does not pay sellers with PayPal.",
            details={"field": "provider", "provider": PROVIDER},
            kind=ErrorKind.CONFLICT,
        )
    address = clean_paypal_email(email)
    # One payout at a time per seller: the same lock request_payout takes.
    Seller.objects.select_for_update().filter(pk=seller.pk).first()
    account = SellerPaymentAccount.objects.select_for_update().filter(seller=seller).first()
    if account is not None and (account.provider, account.reference) == (PROVIDER, address):
        return account  # the same choice again: nothing changes
    refuse_while_paying_out(seller, field="email")
    if account is None:
        account = SellerPaymentAccount(seller=seller, payout_schedule=PayoutSchedule.WEEKLY)
    switch_provider(account, PROVIDER)  # the card provider's account is kept for a switch back
    account.reference = address
    account.is_payouts_enabled = True  # PayPal pays any address; unclaimed payouts come back
    account.save()
    complete_payout_setup(seller=seller, account_reference=address)
    return account
