"""A payment provider's webhook event, applied once. The provider's module verified and read it
(core.payments.providers.stripe_webhooks, .paypal_webhooks); here it is recorded once per
event id in ``ProviderEvent`` and applied to orders and payouts.

Recording and applying share one transaction, so an event is either applied and marked
processed, or neither (the failure is then recorded on the event and the provider delivers it
again). A second delivery of a processed event changes nothing. Providers do not promise order:
the functions called here tolerate a failure reported after a success, and seller accounts are
read back from the provider rather than trusted from an older event. Events with nothing to
apply are recorded and acknowledged, so nothing is lost and the provider stops retrying."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core.commerce.services import payment_events
from core.payments.models import ProviderEvent
from core.payments.providers import PaymentEvent, PaymentEventKind
from core.payments.providers.paypal_webhooks import read_paypal_webhook
from core.payments.providers.stripe_webhooks import read_stripe_webhook
from core.payments.services import payouts
from core.payments.services.payout_onboarding import refresh_payouts_enabled

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookReceipt:
    event_id: str
    event_type: str
    is_duplicate: bool
    outcome: str


def receive_stripe_webhook(*, payload: bytes, signature: str | None) -> WebhookReceipt:
    return apply_payment_event(read_stripe_webhook(payload=payload, signature=signature))


def receive_paypal_webhook(*, payload: bytes, headers: Mapping[str, str]) -> WebhookReceipt:
    return apply_payment_event(read_paypal_webhook(payload=payload, headers=headers))


def apply_payment_event(event: PaymentEvent) -> WebhookReceipt:
    if not event.is_for_this_marketplace:
        # Neither stored nor applied: another marketplace's payments are none of this one's.
        return WebhookReceipt(
            event.event_id, event.event_type, False, "another marketplace's event"
        )
    try:
        with transaction.atomic():
            record, _ = ProviderEvent.objects.select_for_update().get_or_create(
                provider=event.provider,
                event_id=event.event_id,
                defaults={"event_type": event.event_type, "payload": event.payload},
            )
            if record.processed_at is not None:
                logger.info("%s event %s already processed", event.provider, event.event_id)
                return WebhookReceipt(event.event_id, event.event_type, True, record.outcome)
            outcome = _apply(event)
            record.processed_at = timezone.now()
            record.outcome = outcome[:200]
            record.save(update_fields=["processed_at", "outcome"])
    except Exception as exc:
        _record_failure(event, exc)
        raise
    logger.info(
        "%s event %s (%s) applied: %s", event.provider, event.event_id, event.event_type, outcome
    )
    return WebhookReceipt(event.event_id, event.event_type, False, outcome)


def _record_failure(event: PaymentEvent, exc: Exception) -> None:
    """Left unprocessed, with the reason, for operators; the provider's next delivery retries."""
    outcome = f"failed: {type(exc).__name__}"
    try:
        ProviderEvent.objects.update_or_create(
            provider=event.provider,
            event_id=event.event_id,
            defaults={"event_type": event.event_type, "outcome": outcome},
            create_defaults={
                "event_type": event.event_type,
                "payload": event.payload,
                "outcome": outcome,
            },
        )
    except Exception:  # never hide the original failure behind this one
        logger.exception(
            "could not record the failure of %s event %s", event.provider, event.event_id
        )
    logger.error(
        "%s event %s (%s) failed", event.provider, event.event_id, event.event_type, exc_info=exc
    )


def _apply(event: PaymentEvent) -> str:
    """What the event did, recorded as the event's outcome."""
    provider, reference, label = event.provider, event.reference, event.event_id
    match event.kind:
        case None:
            return f"ignored: {event.ignored_reason}"
        case PaymentEventKind.CHARGE_SUCCEEDED:
            payment_events.on_charge_succeeded(
                provider=provider, reference=reference, event_id=label
            )
            return "charge succeeded"
        case PaymentEventKind.CHARGE_FAILED:
            payment_events.on_charge_failed(
                provider=provider,
                reference=reference,
                failure_code=event.failure_code,
                failure_message=event.failure_message,
                event_id=label,
            )
            return "charge failed"
        case PaymentEventKind.DISPUTE_OPENED:
            payment_events.on_dispute_opened(
                provider=provider,
                reference=reference,
                event_id=label,
                dispute_reference=event.dispute_reference,
            )
            return "dispute opened"
        case PaymentEventKind.DISPUTE_CLOSED:
            payment_events.on_dispute_closed(
                provider=provider, reference=reference, is_won=event.is_dispute_won, event_id=label
            )
            return f"dispute closed ({'won' if event.is_dispute_won else 'lost'})"
        case PaymentEventKind.TRANSFER_FAILED:
            payouts.on_transfer_failed(
                provider=provider, reference=reference, failure_message=event.failure_message
            )
            return "transfer reversed: payout failed"
        case PaymentEventKind.ACCOUNT_UPDATED:
            is_enabled = refresh_payouts_enabled(provider=provider, account_reference=reference)
            if is_enabled is None:
                return "ignored: no seller has this account"
            return f"payouts {'enabled' if is_enabled else 'disabled'}"
