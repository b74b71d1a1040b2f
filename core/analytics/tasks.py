from celery import shared_task

from core.analytics.flush import flush_counters


@shared_task(name="core.analytics.tasks.flush_counters", acks_late=True)
def flush_analytics_counters() -> int:
    """Beat (through ``tenants.tasks.fan_out``): runs in each tenant's schema."""
    return flush_counters()
