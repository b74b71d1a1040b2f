"""The module's background jobs (Celery, run in the marketplace's schema)."""

from __future__ import annotations

from celery import shared_task

from modules.digital.services.previews import make_previews
from modules.digital.services.stamping import stamp_copy
from modules.digital.services.updates import notify_version


@shared_task(name="modules.digital.tasks.stamp_copy", acks_late=True)
def stamp_copy_task(copy_id: int) -> str:
    return stamp_copy(copy_id=copy_id)


@shared_task(name="modules.digital.tasks.make_previews", acks_late=True)
def make_previews_task(version_id: int) -> list[int]:
    return make_previews(version_id=version_id)


@shared_task(name="modules.digital.tasks.notify_version", acks_late=True)
def notify_version_task(version_id: int) -> int:
    return notify_version(version_id=version_id)
