"""Machines (``POST /api/v1/licenses/activate|deactivate|heartbeat``): limits hold under
concurrent activations, deactivate/reactivate loops hit the per-licence rate limit, heartbeats
keep machines alive, and the reaper frees the seats of dead machines in its own marketplace
only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from modules.licensing.models import License, LicenseStatus, Machine, MissedHeartbeat
from modules.licensing.tasks_validation import reap_dead_machines
from modules.licensing.tests.helpers import (
    LICENSING_SLUG,
    emitted,
    make_licensing_shop,
    make_licensing_tenant,
)
from modules.licensing.tests.validation_helpers import (
    add_machine,
    age_machine,
    machines_of,
    make_license,
    make_policy,
    post,
    validate,
)
from tenants.models import Domain, Tenant
from tenants.schemas_sql import drop_schema, use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.concurrency import run_together
from tests.fleet_helpers import TEST_POOL_SIZE


def test_activating_a_machine_takes_a_seat_and_is_announced(shop, client_for):
    license = make_license(shop)
    client = client_for(shop.tenant)

    response = post(
        client,
        "/activate",
        {"key": license.key, "fingerprint": "laptop-1", "name": "Bea's laptop", "platform": "mac"},
        ip="10.0.0.7",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["machines"], body["max_machines"]) == (1, 2)
    machine = body["machine"]
    assert (machine["fingerprint"], machine["name"], machine["platform"]) == (
        "laptop-1",
        "Bea's laptop",
        "mac",
    )
    assert (machine["heartbeat"], machine["last_heartbeat_at"]) == ("not_required", None)
    with schema_context(shop.tenant.schema_name):
        stored = Machine.objects.get(license_id=license.pk)
    assert (stored.pk, stored.ip_address) == (machine["id"], "10.0.0.7")
    assert emitted(shop.tenant, "license.machine_activated") == [
        {
            "license_id": license.pk,
            "seller_id": shop.seller.pk,
            "product_id": shop.product.pk,
            "buyer_id": shop.buyer.pk,
            "machine_id": stored.pk,
            "fingerprint": "laptop-1",
        }
    ]
    assert validate(client, license.key, fingerprint="laptop-1")["code"] == "VALID"


def test_activating_an_active_machine_again_changes_nothing(shop, client_for):
    license = make_license(shop)
    client = client_for(shop.tenant)
    first = post(client, "/activate", {"key": license.key, "fingerprint": "laptop-1"})

    again = post(
        client, "/activate", {"key": license.key, "fingerprint": "laptop-1", "name": "Renamed"}
    )

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["machine"]["id"] == first.json()["machine"]["id"]
    assert again.json()["machine"]["name"] == "Renamed"
    assert again.json()["machines"] == 1
    assert len(emitted(shop.tenant, "license.machine_activated")) == 1


def test_activation_stops_at_the_limit(shop, client_for):
    license = make_license(shop)
    client = client_for(shop.tenant)
    for fingerprint in ("laptop-1", "laptop-2"):
        assert (
            post(client, "/activate", {"key": license.key, "fingerprint": fingerprint}).status_code
            == 201
        )

    refused = post(client, "/activate", {"key": license.key, "fingerprint": "laptop-3"})

    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "too_many_machines"
    assert error["details"] == {"machines": 2, "max_machines": 2}
    assert machines_of(shop.tenant, license) == ["laptop-1", "laptop-2"]


def test_the_licence_override_of_the_limit_counts(shop, client_for):
    license = make_license(shop, max_activations=3)
    client = client_for(shop.tenant)

    statuses = [
        post(client, "/activate", {"key": license.key, "fingerprint": f"m{i}"}).status_code
        for i in range(4)
    ]

    assert statuses == [201, 201, 201, 409]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (LicenseStatus.SUSPENDED, "SUSPENDED"),
        (LicenseStatus.REVOKED, "REVOKED"),
        (LicenseStatus.EXPIRED, "EXPIRED"),
    ],
)
def test_a_licence_that_is_not_active_cannot_be_activated(shop, client_for, status, code):
    license = make_license(shop, status=status)

    refused = post(client_for(shop.tenant), "/activate", {"key": license.key, "fingerprint": "m"})

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "license_not_active"
    assert refused.json()["error"]["details"] == {"code": code}
    assert machines_of(shop.tenant, license) == []


def test_unknown_keys_and_machines_are_404(shop, client_for):
    license = make_license(shop)
    client = client_for(shop.tenant)
    unknown = {"key": "SOUK-00000-00000-00000-00000-00000", "fingerprint": "m"}

    for path in ("/activate", "/deactivate", "/heartbeat"):
        response = post(client, path, unknown)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "license_not_found"
    for path in ("/deactivate", "/heartbeat"):
        response = post(client, path, {"key": license.key, "fingerprint": "never-activated"})
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "machine_not_found"


def test_a_key_of_another_marketplace_activates_nothing_here(shop, make_tenant, client_for):
    other = make_licensing_tenant(make_tenant, "other-licence-market")
    make_licensing_shop(other)
    license = make_license(shop)

    response = post(client_for(other), "/activate", {"key": license.key, "fingerprint": "m"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "license_not_found"
    assert machines_of(shop.tenant, license) == []
    with schema_context(other.schema_name):
        assert Machine.objects.count() == 0


def test_deactivating_frees_the_seat_and_is_announced(shop, client_for):
    license = make_license(shop)
    client = client_for(shop.tenant)
    for fingerprint in ("laptop-1", "laptop-2"):
        post(client, "/activate", {"key": license.key, "fingerprint": fingerprint})

    response = post(client, "/deactivate", {"key": license.key, "fingerprint": "laptop-1"})

    assert response.status_code == 200
    assert response.json() == {"machines": 1}
    assert machines_of(shop.tenant, license) == ["laptop-2"]
    [event] = emitted(shop.tenant, "license.machine_deactivated")
    assert (event["fingerprint"], event["reason"]) == ("laptop-1", "software")
    assert (
        post(client, "/activate", {"key": license.key, "fingerprint": "laptop-3"}).status_code
        == 201
    )


def test_a_machine_can_be_deactivated_whatever_the_licence_status(shop, client_for):
    license = make_license(shop, status=LicenseStatus.SUSPENDED)
    add_machine(shop.tenant, license, "laptop-1")

    response = post(
        client_for(shop.tenant), "/deactivate", {"key": license.key, "fingerprint": "laptop-1"}
    )

    assert response.status_code == 200
    assert response.json() == {"machines": 0}
    assert machines_of(shop.tenant, license) == []


def test_deactivate_and_reactivate_loops_hit_the_per_licence_limit(
    make_tenant, client_for, redis_url
):
    tenant = make_licensing_tenant(
        make_tenant, module_config={"licensing": {"activations_per_license_per_hour": 3}}
    )
    shop = make_licensing_shop(tenant)
    license = make_license(shop)
    other = make_license(shop)
    client = client_for(tenant)
    machine = {"key": license.key, "fingerprint": "laptop-1"}

    changes = [
        post(client, "/activate", machine).status_code,
        post(client, "/deactivate", machine).status_code,
        post(client, "/activate", machine).status_code,
        # Re-activating an active machine changes nothing and costs nothing.
        post(client, "/activate", machine).status_code,
    ]
    refused = post(client, "/deactivate", machine)

    assert changes == [201, 200, 201, 200]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "activation_rate_limited"
    retry_after = int(refused["Retry-After"])
    assert 1 <= retry_after <= 1200
    assert refused.json()["error"]["details"] == {"retry_after": retry_after, "limit_per_hour": 3}
    assert machines_of(tenant, license) == ["laptop-1"]
    # Another licence has its own budget.
    assert post(client, "/activate", {"key": other.key, "fingerprint": "x"}).status_code == 201


def test_heartbeats_start_and_keep_a_machine_alive(shop, client_for):
    policy = make_policy(
        shop,
        is_heartbeat_required=True,
        heartbeat_interval_seconds=600,
        on_missed_heartbeat=MissedHeartbeat.KEEP,
    )
    license = make_license(shop, policy)
    client = client_for(shop.tenant)
    machine = {"key": license.key, "fingerprint": "laptop-1"}
    assert post(client, "/activate", machine).status_code == 201

    before_first = validate(client, **machine)["code"]
    beat = post(client, "/heartbeat", machine, ip="10.0.0.9")
    after_first = validate(client, **machine)["code"]
    age_machine(
        shop.tenant, license, "laptop-1", heartbeat_ago=timedelta(seconds=1300), now=timezone.now()
    )
    when_dead = validate(client, **machine)["code"]
    revived = post(client, "/heartbeat", machine)
    after_revival = validate(client, **machine)["code"]

    assert (before_first, after_first, when_dead, after_revival) == (
        "HEARTBEAT_NOT_STARTED",
        "VALID",
        "HEARTBEAT_DEAD",
        "VALID",
    )
    assert beat.status_code == 200
    body = beat.json()
    assert body["heartbeat"] == "alive"
    beat_at = datetime.fromisoformat(body["last_heartbeat_at"])
    due_by = datetime.fromisoformat(body["heartbeat_due_by"])
    assert due_by - beat_at == timedelta(seconds=1200)
    assert revived.status_code == 200
    with schema_context(shop.tenant.schema_name):
        assert Machine.objects.get(license_id=license.pk).ip_address == "127.0.0.1"


def test_a_heartbeat_for_a_suspended_licence_is_refused(shop, client_for):
    license = make_license(shop)
    add_machine(shop.tenant, license, "laptop-1")
    with schema_context(shop.tenant.schema_name):
        License.objects.filter(pk=license.pk).update(status=LicenseStatus.SUSPENDED)

    response = post(
        client_for(shop.tenant), "/heartbeat", {"key": license.key, "fingerprint": "laptop-1"}
    )

    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"code": "SUSPENDED"}


def _deactivating_policy(shop: Any, **fields: Any) -> Any:
    return make_policy(
        shop,
        is_heartbeat_required=True,
        heartbeat_interval_seconds=600,
        on_missed_heartbeat=MissedHeartbeat.DEACTIVATE,
        **fields,
    )


def test_a_heartbeat_from_a_dead_machine_that_frees_its_seat_is_too_late(shop, client_for):
    license = make_license(shop, _deactivating_policy(shop))
    add_machine(shop.tenant, license, "laptop-1")
    age_machine(
        shop.tenant,
        license,
        "laptop-1",
        activated_ago=timedelta(hours=3),
        heartbeat_ago=timedelta(hours=2),
        now=timezone.now(),
    )

    response = post(
        client_for(shop.tenant), "/heartbeat", {"key": license.key, "fingerprint": "laptop-1"}
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "machine_not_found"
    assert response.json()["error"]["details"] == {"reason": "heartbeat_dead"}
    assert machines_of(shop.tenant, license) == []
    [event] = emitted(shop.tenant, "license.machine_deactivated")
    assert (event["fingerprint"], event["reason"]) == ("laptop-1", "heartbeat_dead")


def test_a_dead_machine_gives_its_seat_to_a_new_activation(shop, client_for):
    license = make_license(shop, _deactivating_policy(shop, max_activations=1))
    add_machine(shop.tenant, license, "old-laptop")
    age_machine(
        shop.tenant, license, "old-laptop", activated_ago=timedelta(hours=1), now=timezone.now()
    )

    response = post(
        client_for(shop.tenant), "/activate", {"key": license.key, "fingerprint": "new-laptop"}
    )

    assert response.status_code == 201
    assert machines_of(shop.tenant, license) == ["new-laptop"]
    [event] = emitted(shop.tenant, "license.machine_deactivated")
    assert (event["fingerprint"], event["reason"]) == ("old-laptop", "heartbeat_dead")


def test_the_reaper_frees_dead_machines_of_its_own_marketplace_only(shop, make_tenant, client_for):
    now = timezone.now()
    freeing = make_license(shop, _deactivating_policy(shop, max_activations=5))
    keeping = make_license(
        shop,
        make_policy(
            shop,
            is_heartbeat_required=True,
            heartbeat_interval_seconds=600,
            on_missed_heartbeat=MissedHeartbeat.KEEP,
        ),
    )
    for fingerprint in ("alive", "dead", "never-started", "starting"):
        add_machine(shop.tenant, freeing, fingerprint)
    age_machine(
        shop.tenant,
        freeing,
        "alive",
        activated_ago=timedelta(hours=5),
        heartbeat_ago=timedelta(seconds=60),
        now=now,
    )
    age_machine(
        shop.tenant,
        freeing,
        "dead",
        activated_ago=timedelta(hours=5),
        heartbeat_ago=timedelta(seconds=1300),
        now=now,
    )
    age_machine(
        shop.tenant, freeing, "never-started", activated_ago=timedelta(seconds=1300), now=now
    )
    age_machine(shop.tenant, freeing, "starting", activated_ago=timedelta(seconds=60), now=now)
    add_machine(shop.tenant, keeping, "kept")
    age_machine(shop.tenant, keeping, "kept", activated_ago=timedelta(hours=5), now=now)
    other = make_licensing_tenant(make_tenant, "other-licence-market")

    with schema_context(other.schema_name):
        assert reap_dead_machines.delay().get(disable_sync_subtasks=False) == 0
    assert machines_of(shop.tenant, freeing) == ["alive", "dead", "never-started", "starting"]
    with schema_context(shop.tenant.schema_name):
        assert reap_dead_machines.delay().get(disable_sync_subtasks=False) == 2

    assert machines_of(shop.tenant, freeing) == ["alive", "starting"]
    assert machines_of(shop.tenant, keeping) == ["kept"]
    events = emitted(shop.tenant, "license.machine_deactivated")
    assert sorted((e["fingerprint"], e["reason"], e["license_id"]) for e in events) == [
        ("dead", "heartbeat_dead", freeing.pk),
        ("never-started", "heartbeat_dead", freeing.pk),
    ]
    with schema_context(shop.tenant.schema_name):
        assert reap_dead_machines.delay().get(disable_sync_subtasks=False) == 0
    assert len(emitted(shop.tenant, "license.machine_deactivated")) == 2


# --- concurrency: committed data, one connection per thread ----------------------------------

RACE_SLUG = "licence-race"
RACE_SCHEMA = "t_licence_race"


def _drop_race_tenant() -> None:
    Domain.objects.filter(tenant__slug=RACE_SLUG).delete()
    Tenant.objects.filter(slug=RACE_SLUG).delete()
    drop_schema(RACE_SCHEMA)


@pytest.fixture
def committed_shop(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    with django_db_blocker.unblock():
        _drop_race_tenant()
        tenant = provision_tenant(
            slug=RACE_SLUG,
            name="Licence Race",
            owner_email="owner@race.example",
            owner_password=None,
            modules=["licensing"],
        ).tenant
        use_public_schema()
        yield make_licensing_shop(tenant)
        use_public_schema()
        _drop_race_tenant()
        fill_schema_pool(size=TEST_POOL_SIZE)
        use_public_schema()


def test_sixteen_machines_racing_for_three_seats_leave_exactly_three(
    committed_shop, client_for, django_db_blocker
):
    shop = committed_shop
    assert shop.tenant.slug != LICENSING_SLUG
    with django_db_blocker.unblock():
        license = make_license(shop, max_activations=3)
        client = client_for(shop.tenant)

        responses = run_together(
            [
                lambda i=i: post(
                    client, "/activate", {"key": license.key, "fingerprint": f"machine-{i:02d}"}
                )
                for i in range(16)
            ]
        )

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] * 3 + [409] * 13, [r.content for r in responses]
        refused = [r.json()["error"] for r in responses if r.status_code == 409]
        assert {e["code"] for e in refused} == {"too_many_machines"}
        assert {e["details"]["max_machines"] for e in refused} == {3}
        with schema_context(RACE_SCHEMA):
            assert Machine.objects.filter(license_id=license.pk).count() == 3
        assert len(emitted(shop.tenant, "license.machine_activated")) == 3


def test_floating_validations_racing_for_two_seats_activate_exactly_two(
    committed_shop, client_for, django_db_blocker
):
    shop = committed_shop
    with django_db_blocker.unblock():
        license = make_license(shop, make_policy(shop, is_floating=True, max_activations=2))
        client = client_for(shop.tenant)

        responses = run_together(
            [
                lambda i=i: post(
                    client, "/validate", {"key": license.key, "fingerprint": f"machine-{i:02d}"}
                )
                for i in range(12)
            ]
        )

        assert {r.status_code for r in responses} == {200}, [r.content for r in responses]
        codes = sorted(r.json()["code"] for r in responses)
        assert codes == ["TOO_MANY_MACHINES"] * 10 + ["VALID"] * 2
        with schema_context(RACE_SCHEMA):
            assert Machine.objects.filter(license_id=license.pk).count() == 2
