"""Calls to sellers' systems: provisioning, deprovisioning and webhook deliveries. Each task
is one attempt; a failed attempt queues the next one with backoff. Attempts are claimed by
number (see ``services/webhooks.py``), so a task that runs twice sends once. The sweeper
(beat, per tenant) requeues attempts whose task was lost; the pruner keeps the integration
log to ``SOUK_INTEGRATION_LOG_DAYS`` (default 30)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from modules.licensing.models import IntegrationCall
from modules.licensing.services import provisioning, webhooks


@shared_task(name="modules.licensing.tasks_integration.provision_account", acks_late=True)
def provision_account(account_id: int, attempt: int = 1) -> str:
    outcome = provisioning.attempt_provisioning(account_id=account_id, attempt=attempt)
    if outcome.retry_in is not None:
        provision_account.apply_async((account_id, attempt + 1), countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="modules.licensing.tasks_integration.deprovision_account", acks_late=True)
def deprovision_account(account_id: int, attempt: int = 1) -> str:
    outcome = provisioning.attempt_deprovisioning(account_id=account_id, attempt=attempt)
    if outcome.retry_in is not None:
        deprovision_account.apply_async((account_id, attempt + 1), countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="modules.licensing.tasks_integration.deliver_webhook", acks_late=True)
def deliver_webhook(delivery_id: int, attempt: int = 1) -> str:
    outcome = webhooks.attempt_delivery(delivery_id=delivery_id, attempt=attempt)
    if outcome.retry_in is not None:
        deliver_webhook.apply_async((delivery_id, attempt + 1), countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="modules.licensing.tasks_integration.retry_overdue_calls", acks_late=True)
def retry_overdue_calls() -> int:
    """Beat (per tenant, every minute): attempts that are due but were never run."""
    count = 0
    for delivery_id, attempt in webhooks.overdue_deliveries():
        deliver_webhook.delay(delivery_id, attempt)
        count += 1
    for account_id, attempt, status in provisioning.overdue_accounts():
        provisioning.queue_attempt(account_id, attempt, status)
        count += 1
    return count


@shared_task(name="modules.licensing.tasks_integration.prune_integration_log", acks_late=True)
def prune_integration_log() -> int:
    """Beat (per tenant, daily)."""
    days = int(getattr(settings, "SOUK_INTEGRATION_LOG_DAYS", 30))
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = IntegrationCall.objects.filter(created_at__lt=cutoff).delete()
    return deleted
