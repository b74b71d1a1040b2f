from dataclasses import dataclass

from celery import shared_task
from django.db import transaction

from core.events import dispatch_pending, record_backlog
from core.registry import get_registry


@shared_task(name="core.tasks.run_fulfilment_hook", acks_late=True, max_retries=5)
def run_fulfilment_hook(product_type: str, order_line_id: int, action: str = "fulfil") -> None:
    """The slot the commerce app queues once a line is paid (``fulfil``) or refunded
    (``revoke``): runs the module's hook in the line's schema. Hooks must be idempotent per
    order line - a worker that dies mid-hook has the task run again."""
    registry = get_registry()
    hook = (
        registry.fulfil_hook(product_type)
        if action == "fulfil"
        else registry.revoke_hook(product_type)
    )
    if hook is None:
        return
    with transaction.atomic():
        hook(OrderLineRef(pk=order_line_id))


@dataclass
class OrderLineRef:
    pk: int


@shared_task(name="core.tasks.dispatch_outbox", acks_late=True)
def dispatch_outbox() -> int:
    """Runs in the schema that queued it (tenant-schemas-celery)."""
    delivered = dispatch_pending()
    record_backlog()
    return delivered
