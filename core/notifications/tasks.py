"""The notification timer, queued in every tenant's schema by the beat (``fan_out``)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="core.notifications.tasks.run_due_notifications", acks_late=True)
def run_due_notifications() -> int:
    """Held (quiet hours) and failed deliveries whose time came, and the daily digests."""
    from core.notifications.delivery import run_due

    return run_due()


@shared_task(name="core.notifications.tasks.deliver_notifications", acks_late=True)
def deliver_notifications(delivery_ids: list[int]) -> int:
    """After the outbox consumer planned them: send the deliveries due now."""
    from core.notifications.delivery import deliver

    return deliver(delivery_ids)
