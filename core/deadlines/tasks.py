from celery import shared_task

from core.deadlines.sweep import sweep_due_deadlines


@shared_task(name="core.deadlines.tasks.sweep_deadlines", acks_late=True)
def sweep_deadlines() -> int:
    """Beat, through ``tenants.tasks.fan_out``: fire the due deadlines of the tenant whose
    schema queued it (tenant-schemas-celery). Safe to run twice at once or again after a
    worker died: claims and the fire are idempotent. Returns how many fired."""
    return sweep_due_deadlines().fired
