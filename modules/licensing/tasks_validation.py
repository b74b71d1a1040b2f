"""Missed heartbeats: a per-schema timer (the beat queues it in every active tenant through
``tenants.tasks.fan_out``; tenant-schemas-celery runs it in that schema)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="modules.licensing.tasks_validation.reap_dead_machines", acks_late=True)
def reap_dead_machines() -> int:
    """Delete the machines that missed their heartbeats where the policy frees the seat
    (``license.machine_deactivated`` for each); how many. Idempotent; nothing to do on a
    marketplace that does not run the module."""
    from core.registry.enablement import enabled_module_keys
    from modules.licensing.services.activation import reap_dead_machines as reap

    if "licensing" not in enabled_module_keys():
        return 0
    return reap()
