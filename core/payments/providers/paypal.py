"""PayPal through its REST APIs (core.payments.providers.paypal_client), with the marketplace's
own PayPal app (core.payments.providers.paypal_settings).

A PayPal payment needs the buyer at PayPal: ``charge`` creates an Orders v2 order (intent
CAPTURE) and answers "requires action" with the approval link; the buyer approves at PayPal and
comes back to the marketplace's return URL, where ``confirm`` captures the order. The payment's
reference is the PayPal order id (a capture id is looked up from it when refunding). Sellers are
paid with PayPal Payouts to their PayPal e-mail address, one batch per payout.

Every purchase unit and payout item carries ``<schema>:`` in its ``custom_id`` /
``sender_item_id`` and every ``PayPal-Request-Id`` is scoped with the schema, so a webhook can
tell which marketplace an object is of and a retried call never pays twice. PayPal has no
reusable method here: subscriptions stay with the card provider (checkout refuses PayPal for a
recurring cart; ``charge`` refuses to save or charge off-session as a last guard)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any, NoReturn

from core.errors import ErrorKind
from core.money import Money
from core.notifications.email import absolute_url
from core.payments.errors import PaymentError, PaymentErrorCode
from core.payments.providers.base import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    MethodFacts,
    RefundResult,
    TransferResult,
)
from core.payments.providers.paypal_client import PayPalAPIError, PayPalClient
from core.payments.providers.paypal_settings import PROVIDER, credentials, paypal_settings
from core.schema import current_schema_name

logger = logging.getLogger(__name__)

# The marketplace's pages PayPal sends the buyer back to (core.commerce.urls serves them);
# PayPal appends ``?token=<order id>`` (and ``&PayerID=...`` after an approval).
RETURN_PATH = "/checkout/paypal/return/"
CANCEL_PATH = "/checkout/paypal/cancel/"
# Declines of a capture PayPal answers with 422: the order is unpaid, the buyer may retry.
DECLINE_ISSUES = frozenset(
    {
        "INSTRUMENT_DECLINED",
        "PAYER_ACTION_REQUIRED",
        "TRANSACTION_REFUSED",
        "PAYER_CANNOT_PAY",
        "PAYEE_BLOCKED_TRANSACTION",
        "COMPLIANCE_VIOLATION",
        "MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED",
    }
)
# A payout PayPal refuses outright (the payout fails and the seller keeps the balance), as
# opposed to an outage to retry.
PAYOUT_REFUSAL_STATUSES = frozenset({400, 422})


def owner_prefix() -> str:
    return f"{current_schema_name()}:"


def scoped_request_id(key: str) -> str:
    """PayPal-Request-Id: scoped to the marketplace, within PayPal's 108 characters."""
    scoped = f"{current_schema_name()}:{key}"
    if len(scoped) > 100:
        return "souk-" + hashlib.sha256(scoped.encode()).hexdigest()
    return scoped


def _provider_error(action: str, exc: PayPalAPIError) -> NoReturn:
    if exc.status == 0:
        reason = "PayPal could not be reached."
    elif exc.status == 401:
        reason = "PayPal refused the marketplace's app credentials."
    else:
        reason = exc.message
    raise PaymentError(
        PaymentErrorCode.PROVIDER_ERROR,
        f"The payment provider failed to {action}: {reason}",
        details={"provider": PROVIDER, "code": exc.issue or exc.name, "debug_id": exc.debug_id},
        kind=ErrorKind.UPSTREAM_FAILED,
    ) from None


def _link(resource: Mapping[str, Any], *relations: str) -> str:
    for link in resource.get("links") or []:
        if isinstance(link, dict) and link.get("rel") in relations:
            return str(link.get("href") or "")
    return ""


def _captures(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    captures: list[dict[str, Any]] = []
    for unit in order.get("purchase_units") or []:
        captures += (unit.get("payments") or {}).get("captures") or []
    return captures


def order_result(order: Mapping[str, Any]) -> ChargeResult:
    """An Orders v2 order in the provider-neutral shape."""
    reference = str(order.get("id") or "")
    status = order.get("status")
    captures = _captures(order)
    capture_status = captures[0].get("status") if captures else None
    if status == "COMPLETED" and capture_status == "COMPLETED":
        return ChargeResult(ChargeStatus.SUCCEEDED, reference, card_brand="paypal")
    if capture_status in {"DECLINED", "FAILED"}:
        reason = (captures[0].get("status_details") or {}).get("reason") or "declined"
        return ChargeResult(
            ChargeStatus.FAILED,
            reference,
            str(reason).lower()[:40],
            "PayPal declined the payment.",
        )
    if capture_status == "PENDING":
        # Captured but not settled (e.g. an e-check): PAYMENT.CAPTURE.COMPLETED settles it.
        return ChargeResult(ChargeStatus.REQUIRES_ACTION, reference)
    if status in {"CREATED", "PAYER_ACTION_REQUIRED", "APPROVED", "SAVED"}:
        return ChargeResult(
            ChargeStatus.REQUIRES_ACTION,
            reference,
            action_url=_link(order, "payer-action", "approve"),
        )
    return ChargeResult(
        ChargeStatus.FAILED, reference, "order_voided", "The PayPal order was cancelled."
    )


class PayPalProvider:
    key = PROVIDER
    # A payout a seller received cannot be taken back (no transfer reversal as at Stripe).
    can_reverse_transfers = False

    @property
    def is_test_mode(self) -> bool:
        return not paypal_settings().is_live

    @property
    def _client(self) -> PayPalClient:
        return PayPalClient(credentials())

    # --- buyers' payments -------------------------------------------------------------------

    def method_facts(self, *, payment_method: str) -> MethodFacts:
        """Nothing: the buyer picks a card or balance at PayPal, after the checkout."""
        return MethodFacts()

    def charge(self, request: ChargeRequest) -> ChargeResult:
        if request.save_method or request.off_session:
            return ChargeResult(
                ChargeStatus.FAILED,
                "",
                "method_not_reusable",
                "PayPal payments here are one-off: subscriptions are paid by card.",
            )
        body: dict[str, Any] = {
            "intent": "CAPTURE",
            "purchase_units": [
                {
                    "reference_id": "default",
                    "custom_id": f"{owner_prefix()}{request.idempotency_key}"[:127],
                    "invoice_id": scoped_request_id(request.idempotency_key)[:127],
                    "description": request.description[:127],
                    "amount": {
                        "currency_code": request.amount.currency,
                        "value": request.amount.to_decimal_string(),
                    },
                }
            ],
            "payment_source": {
                "paypal": {
                    "experience_context": {
                        "user_action": "PAY_NOW",
                        "shipping_preference": "NO_SHIPPING",
                        "return_url": absolute_url(RETURN_PATH),
                        "cancel_url": absolute_url(CANCEL_PATH),
                    }
                }
            },
        }
        try:
            order = self._client.create_order(
                body=body, request_id=scoped_request_id(request.idempotency_key)
            )
        except PayPalAPIError as exc:
            if exc.status == 422:
                return ChargeResult(
                    ChargeStatus.FAILED, "", (exc.issue or exc.name).lower()[:40], exc.message
                )
            _provider_error("create the PayPal order", exc)
        return order_result(order)

    def confirm(self, *, reference: str, confirmation: str) -> ChargeResult:
        """Capture the order the buyer approved (``confirmation``: PayPal's PayerID, which the
        capture does not need). A capture PayPal declines leaves the order unpaid."""
        client = self._client
        try:
            order = client.capture_order(
                reference, request_id=scoped_request_id(f"capture-{reference}")
            )
        except PayPalAPIError as exc:
            if exc.issue in {"ORDER_ALREADY_CAPTURED", "ORDER_NOT_APPROVED"}:
                # Captured before (a lost answer), or not approved yet: as PayPal has it now.
                return self.retrieve(reference=reference)
            if exc.status == 422 and (
                exc.issue in DECLINE_ISSUES or exc.name == "UNPROCESSABLE_ENTITY"
            ):
                return ChargeResult(
                    ChargeStatus.FAILED,
                    reference,
                    (exc.issue or "declined").lower()[:40],
                    _decline_message(exc.issue),
                )
            _provider_error("capture the PayPal order", exc)
        return order_result(order)

    def setup_method(
        self, *, payment_method: str, customer_reference: str, idempotency_key: str
    ) -> ChargeResult:
        return ChargeResult(
            ChargeStatus.FAILED,
            "",
            "method_not_reusable",
            "PayPal payments here are one-off: subscriptions are paid by card.",
        )

    def retrieve(self, *, reference: str) -> ChargeResult:
        try:
            order = self._client.get_order(reference)
        except PayPalAPIError as exc:
            _provider_error("look up the PayPal order", exc)
        return order_result(order)

    def refund(self, *, reference: str, amount: Money, idempotency_key: str) -> RefundResult:
        """Refund part or all of the order's capture (``/v2/payments/captures/{id}/refund``).
        Souk's refunds carry its marker in ``custom_id``, so their webhooks are recognised."""
        client = self._client
        try:
            captures = _captures(client.get_order(reference))
            if not captures:
                raise PaymentError(
                    PaymentErrorCode.PROVIDER_ERROR,
                    "The PayPal order has no capture to refund.",
                    details={"provider": PROVIDER, "order": reference},
                    kind=ErrorKind.CONFLICT,
                )
            refund = client.refund_capture(
                str(captures[0]["id"]),
                body={
                    "amount": {
                        "currency_code": amount.currency,
                        "value": amount.to_decimal_string(),
                    },
                    "custom_id": f"{owner_prefix()}{idempotency_key}"[:127],
                },
                request_id=scoped_request_id(idempotency_key),
            )
        except PayPalAPIError as exc:
            _provider_error("refund the PayPal payment", exc)
        if refund.get("status") in {"CANCELLED", "FAILED"}:
            raise PaymentError(
                PaymentErrorCode.PROVIDER_ERROR,
                f"PayPal did not refund the payment (refund {refund.get('id')} is "
                f"{str(refund.get('status')).lower()}).",
                details={"provider": PROVIDER, "refund": refund.get("id")},
                kind=ErrorKind.UPSTREAM_FAILED,
            )
        return RefundResult(str(refund["id"]))

    def submit_dispute_evidence(
        self, *, dispute_reference: str, evidence: Mapping[str, str], idempotency_key: str
    ) -> str:
        raise PaymentError(
            PaymentErrorCode.PROVIDER_ERROR,
            "PayPal disputes are answered in the PayPal Resolution Center.",
            details={"provider": PROVIDER},
            kind=ErrorKind.CONFLICT,
        )

    def ensure_customer(self, *, email: str, name: str, existing_reference: str) -> str:
        return existing_reference  # PayPal knows its buyers; Souk keeps no customer there

    # --- sellers: PayPal Payouts --------------------------------------------------------------

    def onboarding_link(
        self, *, account_reference: str, email: str, return_url: str, refresh_url: str
    ) -> tuple[str, str]:
        """A seller is paid at their PayPal e-mail address: nothing to visit at PayPal."""
        return account_reference or email, return_url

    def onboarding_origins(self) -> tuple[str, ...]:
        return ()

    def is_payouts_enabled(self, *, account_reference: str) -> bool:
        return "@" in account_reference

    def transfer(
        self, *, account_reference: str, amount: Money, idempotency_key: str, description: str
    ) -> TransferResult:
        """One payout batch of one item. PayPal answers the batch as PENDING: the payout is
        booked as paid, and a PAYMENT.PAYOUTS-ITEM.FAILED/RETURNED/... webhook later returns
        the money to the seller's balance (core.payments.services.payouts.fail_payout)."""
        scoped = scoped_request_id(idempotency_key)
        body = {
            "sender_batch_header": {
                "sender_batch_id": scoped[:127],
                "recipient_type": "EMAIL",
                "email_subject": description[:255] or "You have a payout",
            },
            "items": [
                {
                    "recipient_type": "EMAIL",
                    "receiver": account_reference,
                    "amount": {"currency": amount.currency, "value": amount.to_decimal_string()},
                    "sender_item_id": f"{owner_prefix()}{idempotency_key}"[:63],
                    "note": description[:4000],
                }
            ],
        }
        try:
            batch = self._client.create_payout(body=body, request_id=scoped)
        except PayPalAPIError as exc:
            if exc.status in PAYOUT_REFUSAL_STATUSES:
                return TransferResult("", False, f"PayPal refused the payout: {exc.message}")
            _provider_error("pay the seller", exc)
        header = batch.get("batch_header") or {}
        if header.get("batch_status") in {"DENIED", "CANCELED"}:
            return TransferResult(
                str(header.get("payout_batch_id") or ""), False, "PayPal denied the payout."
            )
        return TransferResult(str(header["payout_batch_id"]))

    def reverse_transfer(
        self, *, transfer_reference: str, amount: Money, idempotency_key: str
    ) -> RefundResult:
        """PayPal cannot take back a payout a seller received; what a later refund leaves the
        seller owing stays on their balance and is netted against their next payout."""
        raise PaymentError(
            PaymentErrorCode.PROVIDER_ERROR,
            "PayPal payouts cannot be taken back; the seller's balance carries what they owe.",
            details={"provider": PROVIDER, "payout": transfer_reference},
            kind=ErrorKind.CONFLICT,
        )


def _decline_message(issue: str) -> str:
    if issue == "INSTRUMENT_DECLINED":
        return "PayPal declined the payment method; pay again and choose another one at PayPal."
    if issue == "PAYER_ACTION_REQUIRED":
        return "PayPal needs you to finish the payment at PayPal first."
    return "PayPal declined the payment."
