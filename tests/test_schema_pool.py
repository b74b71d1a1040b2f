"""The warm pool: refilled by its task and command; a claimed schema is replaced."""

from __future__ import annotations

from django.core.management import call_command
from django_tenants.utils import schema_exists

from tenants.models import PooledSchema
from tenants.services.schema_pool import claim_pooled_schema
from tenants.tasks import refill_schema_pool
from tests.fleet_helpers import TEST_POOL_SIZE


def test_refill_task_tops_the_pool_back_up_after_provisioning(make_tenant):
    make_tenant("first-buyer")
    make_tenant("second-buyer")
    assert PooledSchema.objects.count() == TEST_POOL_SIZE - 2

    added = refill_schema_pool.delay().get(disable_sync_subtasks=False)

    assert added == 2
    names = list(PooledSchema.objects.values_list("schema_name", flat=True))
    assert len(names) == TEST_POOL_SIZE
    assert all(schema_exists(name) for name in names)


def test_fill_command_reports_what_it_did(db, capsys):
    call_command("fill_schema_pool", size=TEST_POOL_SIZE + 1)
    assert capsys.readouterr().out.strip() == (
        f"added 1 schema(s); the pool holds {TEST_POOL_SIZE + 1}"
    )


def test_claiming_renames_and_removes_from_the_pool(db):
    first = PooledSchema.objects.order_by("id").first()
    assert first is not None

    assert claim_pooled_schema("t_claimed") is True

    assert schema_exists("t_claimed") and not schema_exists(first.schema_name)
    assert not PooledSchema.objects.filter(pk=first.pk).exists()


def test_provisioning_schedules_a_refill_after_commit_when_a_broker_is_configured(
    make_tenant, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with django_capture_on_commit_callbacks() as callbacks:
        make_tenant("needs-refill")
    assert callbacks == [refill_schema_pool.delay]


def test_eager_mode_never_refills_inside_the_request(
    make_tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        make_tenant("eager-shop")
    assert callbacks == []
