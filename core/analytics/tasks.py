import datetime as dt

from celery import shared_task

from core.analytics import marketplace
from core.analytics.flush import flush_counters


@shared_task(name="core.analytics.tasks.flush_counters", acks_late=True)
def flush_analytics_counters() -> int:
    """Beat (through ``tenants.tasks.fan_out``): runs in each tenant's schema."""
    return flush_counters()


@shared_task(name="core.analytics.tasks.roll_up_marketplace_days", acks_late=True)
def roll_up_marketplace_days() -> None:
    """Beat (through ``tenants.tasks.fan_out``), a little after each day closes: the operator
    dashboard's rollup of that day (``core.analytics.marketplace``), so no request has to."""
    newest = marketplace.last_closed_day()
    marketplace.roll_up(first_day=newest - dt.timedelta(days=6), last_day=newest)
