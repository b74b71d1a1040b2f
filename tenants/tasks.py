from celery import shared_task

from tenants.services.schema_pool import fill_schema_pool


@shared_task(name="tenants.tasks.refill_schema_pool", acks_late=True)
def refill_schema_pool() -> int:
    """Top the warm pool up after provisioning took a schema, and on a beat timer."""
    return fill_schema_pool()


@shared_task(name="tenants.tasks.dispatch_all_outboxes", acks_late=True)
def dispatch_all_outboxes() -> int:
    """Beat: queue an outbox dispatch in every tenant's schema (and public), catching events
    whose after-commit dispatch was lost. Each runs in its own schema, so one tenant's failure
    cannot touch another's."""
    from django_tenants.utils import schema_context

    from core.tasks import dispatch_outbox
    from tenants.models import Tenant

    schemas = list(Tenant.objects.values_list("schema_name", flat=True))
    for schema_name in schemas:
        with schema_context(schema_name):
            dispatch_outbox.delay()
    return len(schemas)


@shared_task(name="tenants.tasks.purge_deleted_tenants", acks_late=True)
def purge_deleted_tenants() -> int:
    """Beat (hourly): purge the tenants whose deletion grace period is over, among them the
    marketplaces from the sign-up form whose owner never confirmed. Idempotent: a purge that
    failed half-way is finished by the next run."""
    from tenants.services.fleet_ops import purge_due_tenants
    from tenants.services.open_marketplace import delete_unopened_marketplaces

    delete_unopened_marketplaces()
    return len(purge_due_tenants())


@shared_task(name="tenants.tasks.fan_out", acks_late=True)
def fan_out(task_name: str, module_key: str | None = None) -> int:
    """Beat: queue ``task_name`` once in every active tenant's schema (tenant-schemas-celery
    runs each in its schema), so one marketplace's failure cannot touch another's. A module's
    timer (``module_key``) goes only to the tenants where that module is on."""
    from celery import current_app
    from django_tenants.utils import schema_context

    from tenants.models import Tenant, TenantStatus

    tenants = Tenant.objects.filter(status=TenantStatus.ACTIVE).exclude(schema_name="public")
    if module_key is not None:
        tenants = tenants.filter(modules__key=module_key, modules__is_enabled=True)
    schemas = list(tenants.values_list("schema_name", flat=True).distinct())
    task = current_app.tasks[task_name]
    for schema_name in schemas:
        with schema_context(schema_name):
            task.delay()
    return len(schemas)
