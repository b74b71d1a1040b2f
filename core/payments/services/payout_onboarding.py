"""Where a seller gets paid: their account at the payment provider and the provider's page to
set it up. The API (``POST /seller/payouts/account``) and the seller wizard's payout step share
this one path."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from core.payments.models import SellerPaymentAccount
from core.payments.providers import get_provider
from core.payments.services.payout_account import refuse_while_paying_out, switch_provider
from core.sellers.models import Seller
from core.sellers.services.onboarding import complete_payout_setup


@dataclass(frozen=True)
class PayoutOnboarding:
    account: SellerPaymentAccount
    # The provider's page where the seller finishes (the return URL itself on the sandbox).
    url: str


def start_payout_onboarding(
    *, seller: Seller, return_url: str, refresh_url: str
) -> PayoutOnboarding:
    """The seller's account at the configured provider (made on the first call) and a fresh,
    single-use link to its onboarding. No lock is held while the provider is called."""
    provider = get_provider()
    account, _ = SellerPaymentAccount.objects.get_or_create(
        seller=seller, defaults={"provider": provider.key}
    )
    if account.provider != provider.key and account.reference:
        refuse_while_paying_out(seller)
    switch_provider(account, provider.key)  # back from PayPal: the account opened before
    reference, url = provider.onboarding_link(
        account_reference=account.reference,
        email=seller.owner.email,
        return_url=return_url,
        refresh_url=refresh_url,
    )
    account.reference = reference
    account.is_payouts_enabled = provider.is_payouts_enabled(account_reference=reference)
    account.save()
    complete_payout_setup(seller=seller, account_reference=reference)  # the wizard's step
    return PayoutOnboarding(account=account, url=url)


def refresh_payouts_enabled(*, provider: str, account_reference: str) -> bool | None:
    """Whether the sellers' account at ``provider`` takes payouts, read back from the provider
    (never from an event, which may be older than the last one applied) and saved; None when no
    seller has this account."""
    accounts = SellerPaymentAccount.objects.filter(provider=provider, reference=account_reference)
    if not accounts.exists():
        return None
    is_enabled = get_provider(provider).is_payouts_enabled(account_reference=account_reference)
    accounts.update(is_payouts_enabled=is_enabled, updated_at=timezone.now())
    return is_enabled
