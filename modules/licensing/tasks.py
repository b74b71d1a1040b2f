"""Licensing timers. Each runs in the schema that queued it (tenant-schemas-celery); the beat
queues them in every active tenant through ``tenants.tasks.fan_out``."""

from __future__ import annotations

from celery import shared_task

# Workers import ``tasks`` modules only; the other task modules of the app register here.
from modules.licensing import tasks_provisioning, tasks_validation  # noqa: F401


@shared_task(name="modules.licensing.tasks.expire_licenses", acks_late=True)
def expire_licenses() -> int:
    """Beat: licences past their expiry become expired (``license.expired``). Safe to run
    twice or concurrently: each licence is re-checked under its row lock. Nothing to do on a
    marketplace that does not run the module."""
    from core.registry.enablement import enabled_module_keys
    from modules.licensing.services.lifecycle import expire_due_licenses

    if "licensing" not in enabled_module_keys():
        return 0
    return expire_due_licenses()
