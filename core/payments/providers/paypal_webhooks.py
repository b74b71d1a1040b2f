"""PayPal's webhooks, read: each delivery is verified by PayPal itself
(``POST /v1/notifications/verify-webhook-signature`` with the transmission headers and the
marketplace's webhook id) and read into a provider-neutral ``PaymentEvent``; commerce records
it once per event id and applies it (core.commerce.services.payment_webhooks).

A buyer's dispute (CUSTOMER.DISPUTE.CREATED / RESOLVED) is read into the same events as a
Stripe chargeback: opened, then closed won or lost, about the disputed PayPal order. PayPal's
dispute names the capture (``disputed_transactions[].seller_transaction_id``), so the order is
looked up from the capture at PayPal; a dispute of another marketplace's payment (its
``custom`` field, the purchase unit's ``custom_id``, carries that marketplace's schema) is
neither stored nor applied."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from core.errors import ErrorKind
from core.payments.errors import PaymentError, PaymentErrorCode
from core.payments.providers.base import PaymentEvent, PaymentEventKind
from core.payments.providers.paypal import _provider_error, owner_prefix
from core.payments.providers.paypal_client import PayPalAPIError, PayPalClient
from core.payments.providers.paypal_settings import PROVIDER, credentials, webhook_id

logger = logging.getLogger(__name__)

# The transmission headers PayPal signs a delivery with, by the verification API's field.
SIGNATURE_HEADERS = {
    "auth_algo": "Paypal-Auth-Algo",
    "cert_url": "Paypal-Cert-Url",
    "transmission_id": "Paypal-Transmission-Id",
    "transmission_sig": "Paypal-Transmission-Sig",
    "transmission_time": "Paypal-Transmission-Time",
}
# A payout item that ended without the seller keeping the money.
PAYOUT_ITEM_LOST = {
    "PAYMENT.PAYOUTS-ITEM.FAILED": "PayPal could not pay the seller.",
    "PAYMENT.PAYOUTS-ITEM.RETURNED": "The payout was returned (not claimed in 30 days).",
    "PAYMENT.PAYOUTS-ITEM.BLOCKED": "PayPal blocked the payout.",
    "PAYMENT.PAYOUTS-ITEM.REFUNDED": "The seller refunded the payout.",
    "PAYMENT.PAYOUTS-ITEM.DENIED": "PayPal denied the payout.",
    "PAYMENT.PAYOUTS-ITEM.CANCELED": "The payout was cancelled.",
}
# A resolved dispute the seller lost: PayPal gave the buyer the seller's money back (found for
# the buyer, or the seller accepted the claim). Every other outcome leaves the money with the
# seller: found for them, withdrawn or denied, or PayPal paid the buyer from its own funds
# (RESOLVED_WITH_PAYOUT, seller protection).
DISPUTE_LOST_OUTCOMES = frozenset({"RESOLVED_BUYER_FAVOUR", "ACCEPTED"})


def _signature_error(message: str) -> PaymentError:
    return PaymentError(
        PaymentErrorCode.WEBHOOK_SIGNATURE_INVALID, message, kind=ErrorKind.BAD_REQUEST
    )


def read_paypal_webhook(*, payload: bytes, headers: Mapping[str, str]) -> PaymentEvent:
    """The event in ``payload`` if PayPal confirms it sent it to this marketplace's webhook;
    a ``PaymentError`` (400) otherwise, with nothing recorded."""
    hook = webhook_id()
    if not hook:
        logger.error("a PayPal webhook arrived but this marketplace has no PayPal webhook id")
        raise _signature_error("PayPal webhooks are not accepted by this marketplace.")
    transmission = {field: headers.get(name) or "" for field, name in SIGNATURE_HEADERS.items()}
    if not all(transmission.values()):
        raise _signature_error("The PayPal transmission headers are missing.")
    try:
        event = json.loads(payload)
    except ValueError:
        raise _signature_error("The webhook body is not a PayPal event.") from None
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("event_type"), str)
        and isinstance(event.get("resource"), dict)
    ):
        raise _signature_error("The webhook body is not a PayPal event.")
    try:
        is_verified = PayPalClient(credentials()).verify_webhook_signature(
            headers=transmission, webhook_id=hook, event_body=payload
        )
    except PayPalAPIError as exc:
        if exc.status in {400, 422}:
            raise _signature_error("PayPal did not verify this delivery.") from None
        _provider_error("verify the webhook", exc)  # PayPal delivers again later
    if not is_verified:
        raise _signature_error("PayPal did not verify this delivery.")
    resource: dict[str, Any] = event["resource"]
    reader = READERS.get(event["event_type"])
    is_ours = not _is_another_marketplaces(_owner_label(resource))
    fields: dict[str, Any] = {"kind": None, "ignored_reason": "no handler for this type"}
    if not is_ours:
        fields = {"kind": None, "ignored_reason": "another marketplace's"}
    elif reader is not None:
        fields = reader(resource)
        # A reader that looked the object up at PayPal may find it is another marketplace's.
        is_ours = bool(fields.pop("is_for_this_marketplace", True))
    return PaymentEvent(
        provider=PROVIDER,
        event_id=event["id"],
        event_type=event["event_type"][:80],
        payload=event,
        is_for_this_marketplace=is_ours,
        **fields,
    )


def _owner_label(resource: dict[str, Any]) -> str:
    item = resource.get("payout_item")
    if isinstance(item, dict):
        return str(item.get("sender_item_id") or "")
    if "disputed_transactions" in resource:
        transaction = _disputed_transaction(resource)
        return str(transaction.get("custom") or "") if transaction else ""
    return str(resource.get("custom_id") or "")


def _is_another_marketplaces(label: str) -> bool:
    """Souk's objects carry ``<schema>:`` (custom_id, sender_item_id)."""
    return ":" in label and not label.startswith(owner_prefix())


def _order_of_capture(capture: dict[str, Any]) -> str:
    related = (capture.get("supplementary_data") or {}).get("related_ids") or {}
    return str(related.get("order_id") or "")


def _capture_completed(capture: dict[str, Any]) -> dict[str, Any]:
    order_id = _order_of_capture(capture)
    if not order_id:
        return {"kind": None, "ignored_reason": "capture names no order"}
    return {"kind": PaymentEventKind.CHARGE_SUCCEEDED, "reference": order_id}


def _capture_declined(capture: dict[str, Any]) -> dict[str, Any]:
    order_id = _order_of_capture(capture)
    if not order_id:
        return {"kind": None, "ignored_reason": "capture names no order"}
    reason = (capture.get("status_details") or {}).get("reason") or "declined"
    return {
        "kind": PaymentEventKind.CHARGE_FAILED,
        "reference": order_id,
        "failure_code": str(reason).lower()[:40],
        "failure_message": "PayPal declined the payment.",
    }


def _capture_refunded(refund: dict[str, Any]) -> dict[str, Any]:
    """Souk books its refunds when it makes them; one made in PayPal's dashboard is not
    booked from here (which lines it covers is unknown): operators refund through Souk."""
    if str(refund.get("custom_id") or "").startswith(owner_prefix()):
        return {"kind": None, "ignored_reason": "refunded by Souk"}
    logger.warning("paypal refund %s made outside Souk", refund.get("id"))
    return {"kind": None, "ignored_reason": "refund made at PayPal, not through Souk"}


def _payout_item_lost(event_type: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def read(item: dict[str, Any]) -> dict[str, Any]:
        errors = item.get("errors") or {}
        message = str(errors.get("message") or "") if isinstance(errors, dict) else ""
        return {
            "kind": PaymentEventKind.TRANSFER_FAILED,
            "reference": str(item.get("payout_batch_id") or ""),
            "failure_message": (message or PAYOUT_ITEM_LOST[event_type])[:300],
        }

    return read


def _disputed_transaction(dispute: dict[str, Any]) -> dict[str, Any] | None:
    """The marketplace's side of the disputed payment: the first transaction naming a
    capture (a PayPal dispute of an Orders v2 payment names one)."""
    for transaction in dispute.get("disputed_transactions") or []:
        if isinstance(transaction, dict) and transaction.get("seller_transaction_id"):
            return transaction
    return None


def _disputed_order(dispute: dict[str, Any]) -> dict[str, Any]:
    """The disputed PayPal order (the payment's reference in Souk), looked up from the capture
    the dispute names: ``{"reference": ...}``, or the fields of an ignored event."""
    transaction = _disputed_transaction(dispute)
    if transaction is None:
        return {"kind": None, "ignored_reason": "dispute names no capture"}
    capture_id = str(transaction["seller_transaction_id"])
    try:
        capture = PayPalClient(credentials()).get_capture(capture_id)
    except PayPalAPIError as exc:
        if exc.status in {400, 404}:  # not a capture of this marketplace's PayPal app
            return {"kind": None, "ignored_reason": "capture unknown to this PayPal app"}
        _provider_error("look up the disputed PayPal payment", exc)  # PayPal delivers again
    if _is_another_marketplaces(str(capture.get("custom_id") or "")):
        return {
            "kind": None,
            "ignored_reason": "another marketplace's",
            "is_for_this_marketplace": False,
        }
    order_id = _order_of_capture(capture)
    if not order_id:
        return {"kind": None, "ignored_reason": "capture names no order"}
    return {"reference": order_id}


def _dispute_created(dispute: dict[str, Any]) -> dict[str, Any]:
    found = _disputed_order(dispute)
    if "reference" not in found:
        return found
    return {
        "kind": PaymentEventKind.DISPUTE_OPENED,
        "reference": found["reference"],
        "dispute_reference": str(dispute.get("dispute_id") or "")[:120],
    }


def _dispute_resolved(dispute: dict[str, Any]) -> dict[str, Any]:
    outcome = dispute.get("dispute_outcome") or {}
    code = str(outcome.get("outcome_code") or "") if isinstance(outcome, dict) else ""
    if not code:
        return {"kind": None, "ignored_reason": "resolved dispute without an outcome"}
    found = _disputed_order(dispute)
    if "reference" not in found:
        return found
    return {
        "kind": PaymentEventKind.DISPUTE_CLOSED,
        "reference": found["reference"],
        "is_dispute_won": code not in DISPUTE_LOST_OUTCOMES,
        "dispute_reference": str(dispute.get("dispute_id") or "")[:120],
    }


def _ignored(reason: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda _resource: {"kind": None, "ignored_reason": reason}


READERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "PAYMENT.CAPTURE.COMPLETED": _capture_completed,
    "PAYMENT.CAPTURE.DENIED": _capture_declined,
    "PAYMENT.CAPTURE.DECLINED": _capture_declined,
    "PAYMENT.CAPTURE.REFUNDED": _capture_refunded,
    "CHECKOUT.ORDER.APPROVED": _ignored("captured when the buyer returns to the marketplace"),
    "PAYMENT.PAYOUTS-ITEM.SUCCEEDED": _ignored("payout booked as paid when it was sent"),
    "PAYMENT.PAYOUTS-ITEM.UNCLAIMED": _ignored("unclaimed payouts are returned after 30 days"),
    **{event_type: _payout_item_lost(event_type) for event_type in PAYOUT_ITEM_LOST},
    "CUSTOMER.DISPUTE.CREATED": _dispute_created,
    "CUSTOMER.DISPUTE.RESOLVED": _dispute_resolved,
    # Messages, offers and escalations are answered in PayPal's Resolution Center; the money
    # moves only when the dispute is resolved.
    "CUSTOMER.DISPUTE.UPDATED": _ignored("the dispute goes on at PayPal; its outcome is applied"),
}
