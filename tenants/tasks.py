from celery import shared_task

from tenants.services.schema_pool import fill_schema_pool


@shared_task(name="tenants.tasks.refill_schema_pool", acks_late=True)
def refill_schema_pool() -> int:
    """Top the warm pool up after provisioning took a schema, and on a beat timer."""
    return fill_schema_pool()
