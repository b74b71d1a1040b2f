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
