"""Stripe's webhooks, read: the signature checked with the signing secret (Stripe's 5-minute
tolerance against replays of old deliveries), and the event read into a provider-neutral
``PaymentEvent``. What the event does to orders and payouts is commerce's business
(core.commerce.services.payment_webhooks); everything about Stripe's wire format is here."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import stripe
from django.conf import settings

from core.errors import ErrorKind
from core.payments.errors import PaymentError, PaymentErrorCode
from core.payments.providers.base import PaymentEvent, PaymentEventKind
from core.payments.providers.stripe import REVERSAL_METADATA_KEY, TENANT_METADATA_KEY
from core.schema import current_schema_name

logger = logging.getLogger(__name__)

PROVIDER = "stripe"
# Disputes closed without the money leaving for good: won, or an inquiry that never escalated.
DISPUTE_KEPT_STATUSES = frozenset({"won", "warning_closed"})


def read_stripe_webhook(*, payload: bytes, signature: str | None) -> PaymentEvent:
    """The event in ``payload`` if ``signature`` (the Stripe-Signature header) is Stripe's for
    it and recent; a ``PaymentError`` (400) otherwise."""
    event = verified_event(payload=payload, signature=signature)
    obj: dict[str, Any] = event["data"]["object"]
    reader = READERS.get(event["type"])
    fields: dict[str, Any] = (
        reader(obj) if reader else {"kind": None, "ignored_reason": "no handler for this type"}
    )
    return PaymentEvent(
        provider=PROVIDER,
        event_id=event["id"],
        event_type=event["type"],
        payload=event,
        is_for_this_marketplace=not _is_another_marketplaces(obj),
        **fields,
    )


def _signing_secrets() -> list[str]:
    """The account endpoint's secret and, when Connect events come to a separate Connect
    endpoint (Stripe gives each endpoint its own secret), that one too."""
    secrets = [
        settings.STRIPE_WEBHOOK_SECRET,
        getattr(settings, "STRIPE_CONNECT_WEBHOOK_SECRET", ""),
    ]
    return [secret for secret in secrets if secret]


def _signature_error(message: str, reason: str = "") -> PaymentError:
    return PaymentError(
        PaymentErrorCode.WEBHOOK_SIGNATURE_INVALID,
        message,
        details={"reason": reason} if reason else None,
        kind=ErrorKind.BAD_REQUEST,
    )


def verified_event(*, payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event in ``payload``, as Stripe sent it, if the signature verifies it."""
    secrets = _signing_secrets()
    if not secrets:
        logger.error("a Stripe webhook arrived but STRIPE_WEBHOOK_SECRET is not set")
        raise _signature_error("Stripe webhooks are not accepted by this marketplace.")
    reason = ""
    for secret in secrets:
        try:
            stripe.Webhook.construct_event(payload, signature, secret)
        except stripe.SignatureVerificationError as exc:
            reason = exc.user_message or "signature mismatch"
            continue
        except (ValueError, TypeError, AttributeError, KeyError):  # signed, but not an event
            raise _signature_error("The webhook body is not a Stripe event.") from None
        break
    else:
        raise _signature_error("The Stripe-Signature header does not verify this body.", reason)
    event = json.loads(payload)
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    ):
        raise _signature_error("The webhook body is not a Stripe event.")
    return event


def _is_another_marketplaces(obj: dict[str, Any]) -> bool:
    """Objects Souk made say whose they are (``metadata[souk_tenant]``)."""
    metadata = obj.get("metadata")
    owner = metadata.get(TENANT_METADATA_KEY) if isinstance(metadata, dict) else None
    return bool(owner) and owner != current_schema_name()


# --- what each event type says -----------------------------------------------------------------


def _payment_succeeded(intent: dict[str, Any]) -> dict[str, Any]:
    return {"kind": PaymentEventKind.CHARGE_SUCCEEDED, "reference": intent["id"]}


def _payment_failed(intent: dict[str, Any]) -> dict[str, Any]:
    error = intent.get("last_payment_error") or {}
    return {
        "kind": PaymentEventKind.CHARGE_FAILED,
        "reference": intent["id"],
        "failure_code": str(error.get("decline_code") or error.get("code") or "payment_failed"),
        "failure_message": str(error.get("message") or "The payment did not go through."),
    }


def _disputed_payment(dispute: dict[str, Any]) -> str:
    intent = dispute.get("payment_intent")
    return str(intent.get("id") if isinstance(intent, dict) else intent or "")


def _dispute_opened(dispute: dict[str, Any]) -> dict[str, Any]:
    reference = _disputed_payment(dispute)
    if not reference:
        return {"kind": None, "ignored_reason": "dispute names no payment intent"}
    return {
        "kind": PaymentEventKind.DISPUTE_OPENED,
        "reference": reference,
        "dispute_reference": str(dispute.get("id") or ""),
    }


def _dispute_closed(dispute: dict[str, Any]) -> dict[str, Any]:
    reference = _disputed_payment(dispute)
    if not reference:
        return {"kind": None, "ignored_reason": "dispute names no payment intent"}
    return {
        "kind": PaymentEventKind.DISPUTE_CLOSED,
        "reference": reference,
        "is_dispute_won": dispute.get("status") in DISPUTE_KEPT_STATUSES,
        "dispute_reference": str(dispute.get("id") or ""),
    }


def _transfer_reversed(transfer: dict[str, Any]) -> dict[str, Any]:
    """Stripe has no failed-transfer event: a transfer either errors when made (the payout
    fails then) or is reversed later. A full reversal made at Stripe means the seller did not
    keep the payout; Souk's own reversals (refunds after a payout) are booked by whoever made
    them and are recognised by their metadata."""
    reversals = (transfer.get("reversals") or {}).get("data") or []
    if any(REVERSAL_METADATA_KEY in (reversal.get("metadata") or {}) for reversal in reversals):
        return {"kind": None, "ignored_reason": "reversed by Souk"}
    amount, reversed_amount = transfer.get("amount") or 0, transfer.get("amount_reversed") or 0
    if not transfer.get("reversed") and reversed_amount < amount:
        logger.warning("stripe transfer %s partly reversed outside Souk", transfer["id"])
        return {"kind": None, "ignored_reason": "partial reversal made at Stripe"}
    return {
        "kind": PaymentEventKind.TRANSFER_FAILED,
        "reference": transfer["id"],
        "failure_message": "The transfer was reversed at Stripe.",
    }


def _account_updated(account: dict[str, Any]) -> dict[str, Any]:
    """The account only: whether it takes payouts is read back from Stripe when applied, so an
    older account.updated arriving late cannot switch payouts off again."""
    return {"kind": PaymentEventKind.ACCOUNT_UPDATED, "reference": account["id"]}


READERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "payment_intent.succeeded": _payment_succeeded,
    "payment_intent.payment_failed": _payment_failed,
    "charge.dispute.created": _dispute_opened,
    "charge.dispute.closed": _dispute_closed,
    "transfer.reversed": _transfer_reversed,
    "account.updated": _account_updated,
}
