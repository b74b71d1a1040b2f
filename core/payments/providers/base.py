"""What commerce and payouts ask of a payment provider. Every money-moving call takes an
idempotency key, which the provider passes on (Stripe's ``Idempotency-Key``), so a retried
call after a crash never charges, refunds or transfers twice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from core.money import Money


class ChargeStatus(StrEnum):
    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"  # 3-D Secure: the buyer must confirm
    FAILED = "failed"


@dataclass(frozen=True)
class ChargeResult:
    status: ChargeStatus
    reference: str  # the provider's id of the charge (PaymentIntent)
    failure_code: str = ""  # card_declined, insufficient_funds, ...
    failure_message: str = ""
    action_url: str = ""
    # A reusable method when the buyer asked to save it (subscriptions).
    saved_method_reference: str = ""
    card_brand: str = ""
    card_last4: str = ""
    # For the fraud checks (core.risk), where the provider tells: the card's fingerprint
    # (the same card whatever method id it arrives as), its issuing country, and the
    # provider's own risk view (Stripe Radar's charge.outcome).
    card_fingerprint: str = ""
    card_country: str = ""
    radar_risk_level: str = ""
    radar_risk_score: str = ""  # Radar's 0-99, as sent
    radar_outcome_type: str = ""


@dataclass(frozen=True)
class MethodFacts:
    """What a provider tells of a payment method before anything is charged, for the fraud
    checks: the card's fingerprint (the same card whatever method id it arrives as) and its
    issuing country; empty when unknown (PayPal: the buyer chooses at PayPal)."""

    card_fingerprint: str = ""
    card_country: str = ""


@dataclass(frozen=True)
class RefundResult:
    reference: str


@dataclass(frozen=True)
class TransferResult:
    reference: str
    is_successful: bool = True
    failure_message: str = ""


@dataclass(frozen=True)
class ChargeRequest:
    amount: Money
    payment_method: str  # a sandbox test card number or a provider method id (pm_...)
    idempotency_key: str
    description: str = ""
    customer_reference: str = ""  # the provider's customer (cus_...), when known
    save_method: bool = False  # keep the method for off-session charges (renewals)
    off_session: bool = False  # a renewal: the buyer is not present
    transfer_group: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


class PaymentEventKind(StrEnum):
    """What a provider's webhook tells Souk, whatever the provider calls it."""

    CHARGE_SUCCEEDED = "charge_succeeded"
    CHARGE_FAILED = "charge_failed"
    DISPUTE_OPENED = "dispute_opened"
    DISPUTE_CLOSED = "dispute_closed"
    TRANSFER_FAILED = "transfer_failed"  # a payout's money came back
    ACCOUNT_UPDATED = "account_updated"  # a seller's account may take payouts now, or not


@dataclass(frozen=True)
class PaymentEvent:
    """A verified webhook event, read by its provider's module into what Souk acts on; commerce
    records it once and applies it (core.commerce.services.payment_webhooks)."""

    provider: str
    event_id: str
    event_type: str  # the provider's own name, recorded as received
    payload: dict[str, Any]  # recorded as received
    # None: nothing to apply, ``ignored_reason`` says why (recorded and acknowledged).
    kind: PaymentEventKind | None
    # The charge, dispute's charge, transfer or account the event is about.
    reference: str = ""
    failure_code: str = ""
    failure_message: str = ""
    is_dispute_won: bool = False
    # The provider's own dispute (Stripe's ``du_...``), to answer it with evidence.
    dispute_reference: str = ""
    ignored_reason: str = ""
    # Every marketplace's endpoint hears the whole platform account; another marketplace's
    # events are neither stored nor applied here.
    is_for_this_marketplace: bool = True


class PaymentProvider(Protocol):
    key: str
    is_test_mode: bool

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Create and confirm a charge for ``request.amount``."""

    def method_facts(self, *, payment_method: str) -> MethodFacts:
        """The card behind ``payment_method`` before it is charged; empty facts when the
        provider cannot tell (never raises: the charge itself reports a bad method)."""

    def confirm(self, *, reference: str, confirmation: str) -> ChargeResult:
        """Finish a charge that required the buyer's action (3-D Secure)."""

    def setup_method(
        self, *, payment_method: str, customer_reference: str, idempotency_key: str
    ) -> ChargeResult:
        """Keep a method for later off-session charges without charging it (a free trial's
        checkout): ``saved_method_reference`` on success; may require the buyer's action."""

    def retrieve(self, *, reference: str) -> ChargeResult:
        """The charge's current state (for reconciling after a crash)."""

    def refund(self, *, reference: str, amount: Money, idempotency_key: str) -> RefundResult:
        """Refund part or all of a succeeded charge."""

    def submit_dispute_evidence(
        self, *, dispute_reference: str, evidence: Mapping[str, str], idempotency_key: str
    ) -> str:
        """Answer a chargeback: send the evidence and submit it (final); returns the
        provider's status of the dispute afterwards."""
        ...

    def ensure_customer(self, *, email: str, name: str, existing_reference: str) -> str:
        """The provider's customer id for a buyer (created when ``existing_reference`` is
        empty)."""

    def onboarding_link(
        self, *, account_reference: str, email: str, return_url: str, refresh_url: str
    ) -> tuple[str, str]:
        """(account reference, URL) where a seller sets up getting paid."""

    def onboarding_origins(self) -> tuple[str, ...]:
        """The origins (scheme://host[:port]) of the pages ``onboarding_link`` sends sellers
        to, for the form-action of the page whose form hands them over; empty when they stay
        on the marketplace."""

    def is_payouts_enabled(self, *, account_reference: str) -> bool:
        """Whether the seller's account can receive money."""

    def transfer(
        self, *, account_reference: str, amount: Money, idempotency_key: str, description: str
    ) -> TransferResult:
        """Move money from the platform to a seller (a payout)."""

    def reverse_transfer(
        self, *, transfer_reference: str, amount: Money, idempotency_key: str
    ) -> RefundResult:
        """Take back part of a transfer (a refund after the seller was paid)."""
