"""The module's background jobs (Celery, run in the marketplace's schema)."""

from __future__ import annotations

from celery import shared_task

from modules.digital.services.stamping import stamp_copy


@shared_task(name="modules.digital.tasks.stamp_copy", acks_late=True)
def stamp_copy_task(copy_id: int) -> str:
    return stamp_copy(copy_id=copy_id)
