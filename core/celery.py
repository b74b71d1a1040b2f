"""The Celery app. tenant-schemas-celery makes every task run in the schema that queued it."""

import os
from typing import Any

from celery import signals
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.dev")

app = CeleryApp("souk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect  # type: ignore[untyped-decorator]  # celery-types
def _module_timers(sender: Any, **kwargs: Any) -> None:
    """Each module's per-tenant timers, fanned out by the beat to the tenants running it."""
    from core.registry import get_registry

    for manifest in get_registry():
        for task_name, seconds in manifest.timers:
            sender.add_periodic_task(
                seconds,
                sender.signature("tenants.tasks.fan_out", args=[task_name, manifest.key]),
                name=f"{manifest.key}: {task_name}",
            )


@signals.task_success.connect
def _count_success(sender: Any = None, **kwargs: Any) -> None:
    _count(sender, "success")


@signals.task_failure.connect
def _count_failure(sender: Any = None, **kwargs: Any) -> None:
    _count(sender, "failure")


@signals.task_retry.connect
def _count_retry(sender: Any = None, **kwargs: Any) -> None:
    _count(getattr(kwargs.get("request"), "task", sender), "retry")


def _count(task: Any, outcome: str) -> None:
    from core.metrics import TASKS

    TASKS.labels(str(getattr(task, "name", task)), outcome).inc()
