"""Subscription timers. Each runs in the schema that queued it (tenant-schemas-celery); the
beat queues them in every active tenant through ``tenants.tasks.fan_out``."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="core.subscriptions.tasks.renew_due_subscriptions", acks_late=True)
def renew_due_subscriptions() -> dict[str, int]:
    """Beat: charge due renewals, retry past-due ones, end those set to cancel. Safe to run
    twice or concurrently: one order per period, and a claimed subscription is skipped."""
    from core.subscriptions.services.renew import renew_due_subscriptions as renew

    return renew()
