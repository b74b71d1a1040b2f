"""The built-in provider: no network, deterministic test cards (the numbers Stripe documents
for the same outcomes), so a marketplace can be tried end to end. Everything it does is
visible as "test mode" in the storefront."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace

from core.money import Money
from core.payments.providers.base import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    MethodFacts,
    RefundResult,
    TransferResult,
)

SUCCESS_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
INSUFFICIENT_FUNDS_CARD = "4000000000009995"
THREE_D_SECURE_CARD = "4000002500003155"
# The code the 3-D Secure step accepts; anything else fails the confirmation.
THREE_D_SECURE_CODE = "123456"
# Payouts to a seller account reference ending in this fail (to try the failure path).
FAILING_PAYOUT_SUFFIX = "_fail"

TEST_CARDS: dict[str, str] = {
    SUCCESS_CARD: "Succeeds",
    DECLINED_CARD: "Declined (card_declined)",
    INSUFFICIENT_FUNDS_CARD: "Declined (insufficient_funds)",
    THREE_D_SECURE_CARD: f"Asks for 3-D Secure confirmation (code {THREE_D_SECURE_CODE})",
}


def _reference(prefix: str, idempotency_key: str) -> str:
    """Deterministic per key: the same request twice is the same charge, like Stripe's
    idempotency keys."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
    return f"{prefix}_sandbox_{digest}"


def _card(payment_method: str) -> str:
    if payment_method.startswith("pm_sandbox_"):
        return payment_method.removeprefix("pm_sandbox_")
    return "".join(ch for ch in payment_method if ch.isdigit())


class SandboxProvider:
    key = "sandbox"
    is_test_mode = True

    def method_facts(self, *, payment_method: str) -> MethodFacts:
        """The test card number, hashed: a card tried under different method ids is one card."""
        card = _card(payment_method)
        if not card:
            return MethodFacts()
        digest = hashlib.sha256(f"sandbox-card:{card}".encode()).hexdigest()[:32]
        return MethodFacts(card_fingerprint=digest)

    def charge(self, request: ChargeRequest) -> ChargeResult:
        card = _card(request.payment_method)
        reference = _reference("ch", request.idempotency_key)
        saved = f"pm_sandbox_{card}" if request.save_method else ""
        extra = {"card_brand": "visa", "card_last4": card[-4:]}
        if card == SUCCESS_CARD:
            return ChargeResult(
                ChargeStatus.SUCCEEDED, reference, saved_method_reference=saved, **extra
            )
        if card == THREE_D_SECURE_CARD and not request.off_session:
            return ChargeResult(
                ChargeStatus.REQUIRES_ACTION,
                reference,
                action_url=f"sandbox-3ds:{reference}",
                saved_method_reference=saved,
                **extra,
            )
        if card == THREE_D_SECURE_CARD:  # renewals cannot ask the buyer
            return ChargeResult(
                ChargeStatus.FAILED,
                reference,
                "authentication_required",
                "The bank asks the cardholder to confirm this payment.",
                **extra,
            )
        if card == INSUFFICIENT_FUNDS_CARD:
            return ChargeResult(
                ChargeStatus.FAILED,
                reference,
                "insufficient_funds",
                "The card has insufficient funds.",
                **extra,
            )
        if card == DECLINED_CARD:
            return ChargeResult(
                ChargeStatus.FAILED, reference, "card_declined", "The card was declined.", **extra
            )
        return ChargeResult(
            ChargeStatus.FAILED,
            reference,
            "invalid_test_card",
            "Test mode accepts only the documented test cards.",
        )

    def setup_method(
        self, *, payment_method: str, customer_reference: str, idempotency_key: str
    ) -> ChargeResult:
        """The test cards behave as for an on-session charge (a SetupIntent), charging nothing."""
        outcome = self.charge(
            ChargeRequest(
                amount=Money(0, "USD"),
                payment_method=payment_method,
                idempotency_key=idempotency_key,
                customer_reference=customer_reference,
                save_method=True,
            )
        )
        reference = _reference("seti", idempotency_key)
        action_url = f"sandbox-3ds:{reference}" if outcome.action_url else ""
        return replace(outcome, reference=reference, action_url=action_url)

    def confirm(self, *, reference: str, confirmation: str) -> ChargeResult:
        if confirmation == THREE_D_SECURE_CODE:
            return ChargeResult(ChargeStatus.SUCCEEDED, reference)
        return ChargeResult(
            ChargeStatus.FAILED,
            reference,
            "authentication_failed",
            "The 3-D Secure confirmation failed.",
        )

    def retrieve(self, *, reference: str) -> ChargeResult:
        # The sandbox keeps no state: a charge is only ever known by its caller's record.
        return ChargeResult(ChargeStatus.SUCCEEDED, reference)

    def refund(self, *, reference: str, amount: Money, idempotency_key: str) -> RefundResult:
        return RefundResult(_reference("re", idempotency_key))

    def submit_dispute_evidence(
        self, *, dispute_reference: str, evidence: Mapping[str, str], idempotency_key: str
    ) -> str:
        # The sandbox raises no chargebacks of its own; one recorded from elsewhere is
        # "answered" as a real provider would take it: under review.
        return "under_review"

    def ensure_customer(self, *, email: str, name: str, existing_reference: str) -> str:
        return existing_reference or _reference("cus", email)

    def onboarding_link(
        self, *, account_reference: str, email: str, return_url: str, refresh_url: str
    ) -> tuple[str, str]:
        return account_reference or _reference("acct", email), return_url

    def onboarding_origins(self) -> tuple[str, ...]:
        return ()  # the sandbox answers the return URL itself: the seller stays here

    def is_payouts_enabled(self, *, account_reference: str) -> bool:
        return bool(account_reference)

    def transfer(
        self, *, account_reference: str, amount: Money, idempotency_key: str, description: str
    ) -> TransferResult:
        if account_reference.endswith(FAILING_PAYOUT_SUFFIX):
            return TransferResult(
                _reference("tr", idempotency_key), False, "The sandbox bank refused it."
            )
        return TransferResult(_reference("tr", idempotency_key))

    def reverse_transfer(
        self, *, transfer_reference: str, amount: Money, idempotency_key: str
    ) -> RefundResult:
        return RefundResult(_reference("trr", idempotency_key))
