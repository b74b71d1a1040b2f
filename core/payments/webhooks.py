"""Stripe's webhooks, received on a marketplace's own host (so in its schema): verified with
the signing secret, recorded once per event id in ``ProviderEvent``, and applied once.

Recording and applying share one transaction, so an event is either applied and marked
processed, or neither (the failure is then recorded on the event and Stripe delivers it
again). A second delivery of a processed event changes nothing. Stripe does not promise
order: the commerce functions called here tolerate a failure reported after a success, and
seller accounts are read back from Stripe rather than trusted from an older event. Types
without a handler are recorded and acknowledged, so nothing is lost and Stripe stops retrying.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.payments.errors import PaymentError, PaymentErrorCode
from core.payments.models import ProviderEvent, SellerPaymentAccount
from core.payments.providers.stripe import REVERSAL_METADATA_KEY, TENANT_METADATA_KEY
from core.schema import current_schema_name

logger = logging.getLogger(__name__)

PROVIDER = "stripe"
# Disputes closed without the money leaving for good: won, or an inquiry that never escalated.
DISPUTE_KEPT_STATUSES = frozenset({"won", "warning_closed"})


@dataclass(frozen=True)
class WebhookReceipt:
    event_id: str
    event_type: str
    is_duplicate: bool
    outcome: str


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
        status=400,
    )


def verified_event(*, payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event in ``payload``, if ``signature`` (the Stripe-Signature header) is Stripe's for
    it and recent (Stripe's 5-minute tolerance, against replays of old deliveries)."""
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


def receive_stripe_webhook(*, payload: bytes, signature: str | None) -> WebhookReceipt:
    return apply_event(verified_event(payload=payload, signature=signature))


def _is_another_marketplaces(obj: dict[str, Any]) -> bool:
    """Every marketplace's endpoint hears the whole platform account; objects Souk made say
    whose they are (``metadata[souk_tenant]``)."""
    metadata = obj.get("metadata")
    owner = metadata.get(TENANT_METADATA_KEY) if isinstance(metadata, dict) else None
    return bool(owner) and owner != current_schema_name()


def apply_event(event: dict[str, Any]) -> WebhookReceipt:
    event_id, event_type = event["id"], event["type"]
    obj: dict[str, Any] = event["data"]["object"]
    if _is_another_marketplaces(obj):
        # Neither stored nor applied: another marketplace's payments are none of this one's.
        return WebhookReceipt(event_id, event_type, False, "another marketplace's event")
    try:
        with transaction.atomic():
            record, _ = ProviderEvent.objects.select_for_update().get_or_create(
                provider=PROVIDER,
                event_id=event_id,
                defaults={"event_type": event_type, "payload": event},
            )
            if record.processed_at is not None:
                logger.info("stripe event %s (%s) already processed", event_id, event_type)
                return WebhookReceipt(event_id, event_type, True, record.outcome)
            outcome = _dispatch(event_type, obj, event_id)
            record.processed_at = timezone.now()
            record.outcome = outcome[:200]
            record.save(update_fields=["processed_at", "outcome"])
    except Exception as exc:
        _record_failure(event, exc)
        raise
    logger.info("stripe event %s (%s) applied: %s", event_id, event_type, outcome)
    return WebhookReceipt(event_id, event_type, False, outcome)


def _record_failure(event: dict[str, Any], exc: Exception) -> None:
    """Left unprocessed, with the reason, for operators; Stripe's next delivery retries it."""
    try:
        ProviderEvent.objects.update_or_create(
            provider=PROVIDER,
            event_id=event["id"],
            defaults={"event_type": event["type"], "outcome": f"failed: {type(exc).__name__}"},
            create_defaults={
                "event_type": event["type"],
                "payload": event,
                "outcome": f"failed: {type(exc).__name__}",
            },
        )
    except Exception:  # never hide the original failure behind this one
        logger.exception("could not record the failure of stripe event %s", event["id"])
    logger.error("stripe event %s (%s) failed", event["id"], event["type"], exc_info=exc)


# --- what each event does ---------------------------------------------------------------------


def _payment_succeeded(intent: dict[str, Any], event_id: str) -> str:
    from core.commerce.services.payment_events import on_charge_succeeded

    on_charge_succeeded(provider=PROVIDER, reference=intent["id"], event_id=event_id)
    return "charge succeeded"


def _payment_failed(intent: dict[str, Any], event_id: str) -> str:
    from core.commerce.services.payment_events import on_charge_failed

    error = intent.get("last_payment_error") or {}
    on_charge_failed(
        provider=PROVIDER,
        reference=intent["id"],
        failure_code=str(error.get("decline_code") or error.get("code") or "payment_failed"),
        failure_message=str(error.get("message") or "The payment did not go through."),
        event_id=event_id,
    )
    return "charge failed"


def _disputed_payment(dispute: dict[str, Any]) -> str:
    intent = dispute.get("payment_intent")
    return str(intent.get("id") if isinstance(intent, dict) else intent or "")


def _dispute_opened(dispute: dict[str, Any], event_id: str) -> str:
    from core.commerce.services.payment_events import on_dispute_opened

    reference = _disputed_payment(dispute)
    if not reference:
        return "ignored: dispute names no payment intent"
    on_dispute_opened(provider=PROVIDER, reference=reference, event_id=event_id)
    return "dispute opened"


def _dispute_closed(dispute: dict[str, Any], event_id: str) -> str:
    from core.commerce.services.payment_events import on_dispute_closed

    reference = _disputed_payment(dispute)
    if not reference:
        return "ignored: dispute names no payment intent"
    is_won = dispute.get("status") in DISPUTE_KEPT_STATUSES
    on_dispute_closed(provider=PROVIDER, reference=reference, is_won=is_won, event_id=event_id)
    return f"dispute closed ({'won' if is_won else 'lost'})"


def _transfer_reversed(transfer: dict[str, Any], event_id: str) -> str:
    """Stripe has no failed-transfer event: a transfer either errors when made (the payout
    fails then) or is reversed later. A full reversal made at Stripe means the seller did not
    keep the payout; Souk's own reversals (refunds after a payout) are booked by whoever made
    them and are recognised by their metadata."""
    from core.payments.services.payouts import on_transfer_failed

    reversals = (transfer.get("reversals") or {}).get("data") or []
    if any(REVERSAL_METADATA_KEY in (reversal.get("metadata") or {}) for reversal in reversals):
        return "ignored: reversed by Souk"
    amount, reversed_amount = transfer.get("amount") or 0, transfer.get("amount_reversed") or 0
    if not transfer.get("reversed") and reversed_amount < amount:
        logger.warning("stripe transfer %s partly reversed outside Souk", transfer["id"])
        return "ignored: partial reversal made at Stripe"
    on_transfer_failed(
        provider=PROVIDER,
        reference=transfer["id"],
        failure_message="The transfer was reversed at Stripe.",
    )
    return "transfer reversed: payout failed"


def _account_updated(account: dict[str, Any], event_id: str) -> str:
    """Read back from Stripe rather than taken from the event: an older account.updated
    arriving late must not switch payouts off again."""
    from core.payments.providers import get_provider

    sellers = SellerPaymentAccount.objects.filter(provider=PROVIDER, reference=account["id"])
    if not sellers.exists():
        return "ignored: no seller has this account"
    is_enabled = get_provider(PROVIDER).is_payouts_enabled(account_reference=account["id"])
    sellers.update(is_payouts_enabled=is_enabled, updated_at=timezone.now())
    return f"payouts {'enabled' if is_enabled else 'disabled'}"


HANDLERS: dict[str, Callable[[dict[str, Any], str], str]] = {
    "payment_intent.succeeded": _payment_succeeded,
    "payment_intent.payment_failed": _payment_failed,
    "charge.dispute.created": _dispute_opened,
    "charge.dispute.closed": _dispute_closed,
    "transfer.reversed": _transfer_reversed,
    "account.updated": _account_updated,
}


def _dispatch(event_type: str, obj: dict[str, Any], event_id: str) -> str:
    handler = HANDLERS.get(event_type)
    if handler is None:
        return "ignored: no handler for this type"
    return handler(obj, event_id)
