"""Webhook deliveries and the integration log's timers. Each task runs in the schema that
queued it (tenant-schemas-celery). A delivery task is one attempt; a failed attempt queues the
next one with backoff. Attempts are claimed by number (``services/webhooks.py``), so a task
that runs twice sends once. The sweeper (beat, per tenant) requeues attempts whose task was
lost; the pruner keeps the integration log to ``SOUK_INTEGRATION_LOG_DAYS`` (default 30)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from core.integrations.models import IntegrationCall
from core.integrations.services import webhooks


@shared_task(name="core.integrations.tasks.deliver_webhook", acks_late=True)
def deliver_webhook(delivery_id: int, attempt: int = 1) -> str:
    outcome = webhooks.attempt_delivery(delivery_id=delivery_id, attempt=attempt)
    if outcome.retry_in is not None:
        deliver_webhook.apply_async((delivery_id, attempt + 1), countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="core.integrations.tasks.retry_overdue_deliveries", acks_late=True)
def retry_overdue_deliveries() -> int:
    """Beat (per tenant, every minute): delivery attempts that are due but were never run."""
    overdue = webhooks.overdue_deliveries()
    for delivery_id, attempt in overdue:
        deliver_webhook.delay(delivery_id, attempt)
    return len(overdue)


@shared_task(name="core.integrations.tasks.prune_integration_log", acks_late=True)
def prune_integration_log() -> int:
    """Beat (per tenant, daily)."""
    days = int(getattr(settings, "SOUK_INTEGRATION_LOG_DAYS", 30))
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = IntegrationCall.objects.filter(created_at__lt=cutoff).delete()
    return deleted
