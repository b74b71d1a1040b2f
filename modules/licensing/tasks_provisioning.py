"""Accounts in the seller's software: provisioning and deprovisioning calls. Each task is one
attempt; a failed attempt queues the next one with backoff. Attempts are claimed by number
(see ``services/provisioning.py``), so a task that runs twice calls once. The sweeper (beat,
per tenant) requeues attempts whose task was lost. Webhook deliveries and the integration
log's pruning are core's (``core/integrations/tasks.py``)."""

from __future__ import annotations

from celery import shared_task

from modules.licensing.services import provisioning


@shared_task(name="modules.licensing.tasks_provisioning.provision_account", acks_late=True)
def provision_account(account_id: int, attempt: int = 1) -> str:
    outcome = provisioning.attempt_provisioning(account_id=account_id, attempt=attempt)
    if outcome.retry_in is not None:
        provision_account.apply_async((account_id, attempt + 1), countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="modules.licensing.tasks_provisioning.deprovision_account", acks_late=True)
def deprovision_account(account_id: int, attempt: int = 1) -> str:
    outcome = provisioning.attempt_deprovisioning(account_id=account_id, attempt=attempt)
    if outcome.retry_in is not None:
        deprovision_account.apply_async((account_id, attempt + 1), countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="modules.licensing.tasks_provisioning.retry_overdue_provisioning", acks_late=True)
def retry_overdue_provisioning() -> int:
    """Beat (per tenant, every minute): attempts that are due but were never run."""
    overdue = provisioning.overdue_accounts()
    for account_id, attempt, status in overdue:
        provisioning.queue_attempt(account_id, attempt, status)
    return len(overdue)
