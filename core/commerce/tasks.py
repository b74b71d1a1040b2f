"""Commerce tasks. Each runs in the schema that queued it (tenant-schemas-celery) and is safe
to run twice: the services they call are guarded by status under row locks."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="core.commerce.tasks.fulfil_order_line", acks_late=True, max_retries=8)
def fulfil_order_line(line_id: int) -> bool:
    from core.commerce.services.fulfilment import fulfil_line

    return fulfil_line(line_id=line_id)


@shared_task(name="core.commerce.tasks.revoke_order_line", acks_late=True, max_retries=8)
def revoke_order_line(line_id: int) -> bool:
    from core.commerce.services.fulfilment import revoke_line

    return revoke_line(line_id=line_id)


@shared_task(name="core.commerce.tasks.expire_unpaid_orders", acks_late=True)
def expire_unpaid_orders() -> int:
    """Beat: unpaid orders give their stock and codes back after a while."""
    from core.commerce.services.checkout import UNPAID_ORDER_MINUTES
    from core.commerce.services.payment_events import expire_unpaid_orders as expire

    return expire(older_than_minutes=UNPAID_ORDER_MINUTES)


@shared_task(name="core.commerce.tasks.reconcile_payments", acks_late=True)
def reconcile_payments() -> int:
    """Beat: finish payments a crashed process left "processing"."""
    from core.commerce.services.payment_events import reconcile_processing_payments

    return reconcile_processing_payments()


@shared_task(name="core.commerce.tasks.run_scheduled_payouts", acks_late=True)
def run_scheduled_payouts() -> int:
    """Beat (daily): weekly and monthly payouts that are due today."""
    from core.commerce.selectors import commerce_settings
    from core.payments.services.payouts import run_scheduled_payouts as run

    return len(run(minimum=commerce_settings().minimum_payout))
