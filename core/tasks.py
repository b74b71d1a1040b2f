from celery import shared_task

from core.events import dispatch_pending, record_backlog


@shared_task(name="core.tasks.dispatch_outbox", acks_late=True)
def dispatch_outbox() -> int:
    """Runs in the schema that queued it (tenant-schemas-celery)."""
    delivered = dispatch_pending()
    record_backlog()
    return delivered
