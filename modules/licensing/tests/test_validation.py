"""Validation (``POST /api/v1/licenses/validate``): every code is reachable and says why; the
answer is always 200 except when a rate limit refuses; a key of another marketplace does not
exist here; a validation costs at most two SQL statements."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from modules.licensing.models import License, LicenseStatus, MissedHeartbeat
from modules.licensing.tests.helpers import (
    ENTITLEMENTS,
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
from tenants.services import set_module_enabled


def test_a_key_on_its_activated_machine_is_valid_with_the_licence_and_machine(shop, client_for):
    license = make_license(shop)
    machine = add_machine(shop.tenant, license, "laptop-1", name="Bea's laptop", platform="linux")

    body = validate(client_for(shop.tenant), license.key, fingerprint="laptop-1")

    assert body == {
        "valid": True,
        "code": "VALID",
        "detail": "The licence is valid.",
        "license": {
            "id": license.pk,
            "status": "active",
            "product_id": shop.product.pk,
            "expires_at": None,
            "entitlements": ENTITLEMENTS,
            "max_machines": 2,
            "machines": 1,
            "is_floating": False,
            "is_heartbeat_required": False,
            "heartbeat_interval_seconds": 3600,
        },
        "machine": {
            "id": machine.pk,
            "fingerprint": "laptop-1",
            "name": "Bea's laptop",
            "platform": "linux",
            "activated_at": DjangoJSONEncoder().default(machine.activated_at),
            "last_heartbeat_at": None,
            "heartbeat": "not_required",
            "heartbeat_due_by": None,
        },
    }


def test_a_key_is_read_however_the_buyer_typed_it(shop, client_for):
    license = make_license(shop)
    add_machine(shop.tenant, license, "laptop-1")
    typed = " " + license.key.lower().replace("-", " ") + " "

    body = validate(client_for(shop.tenant), typed, fingerprint="laptop-1")

    assert (body["valid"], body["code"]) == (True, "VALID")


@pytest.mark.parametrize("key", ["SOUK-00000-00000-00000-00000-00000", "hello", "x" * 200])
def test_an_unknown_key_is_not_found_with_200(shop, client_for, key):
    body = validate(client_for(shop.tenant), key, fingerprint="laptop-1")

    assert body == {
        "valid": False,
        "code": "NOT_FOUND",
        "detail": "No licence has this key.",
        "license": None,
        "machine": None,
    }


def test_a_key_of_another_marketplace_is_not_found_here(shop, make_tenant, client_for):
    other = make_licensing_tenant(make_tenant, "other-licence-market")
    make_licensing_shop(other)
    license = make_license(shop)
    add_machine(shop.tenant, license, "laptop-1")

    assert validate(client_for(other), license.key, fingerprint="laptop-1")["code"] == "NOT_FOUND"
    assert validate(client_for(shop.tenant), license.key, fingerprint="laptop-1")["valid"] is True


@pytest.mark.parametrize(
    ("status", "code", "detail"),
    [
        (LicenseStatus.REVOKED, "REVOKED", "The licence has been revoked."),
        (LicenseStatus.SUSPENDED, "SUSPENDED", "The licence is suspended."),
        (LicenseStatus.EXPIRED, "EXPIRED", "The licence has expired."),
    ],
)
def test_a_licence_that_is_not_active_says_why(shop, client_for, status, code, detail):
    license = make_license(shop, status=status)
    add_machine(shop.tenant, license, "laptop-1")

    body = validate(client_for(shop.tenant), license.key, fingerprint="laptop-1")

    assert (body["valid"], body["code"], body["detail"]) == (False, code, detail)
    assert body["license"]["status"] == status
    assert body["machine"] is None


def test_a_licence_past_its_expiry_is_expired_before_the_expiry_task_runs(shop, client_for):
    license = make_license(shop, expires_at=timezone.now() - timedelta(seconds=1))
    add_machine(shop.tenant, license, "laptop-1")

    body = validate(client_for(shop.tenant), license.key, fingerprint="laptop-1")

    assert (body["valid"], body["code"]) == (False, "EXPIRED")
    assert body["license"]["status"] == "active"


def test_a_heartbeat_policy_requires_the_fingerprint(shop, client_for):
    policy = make_policy(shop, is_heartbeat_required=True, heartbeat_interval_seconds=600)
    license = make_license(shop, policy)
    add_machine(shop.tenant, license, "laptop-1", last_heartbeat_at=timezone.now())

    body = validate(client_for(shop.tenant), license.key)

    assert (body["valid"], body["code"]) == (False, "FINGERPRINT_SCOPE_REQUIRED")
    assert body["detail"] == "This licence must be validated with the machine's fingerprint."


def test_entitlements_not_in_the_policy_are_named(shop, client_for):
    license = make_license(shop)
    add_machine(shop.tenant, license, "laptop-1")
    client = client_for(shop.tenant)

    missing = validate(
        client, license.key, fingerprint="laptop-1", entitlements=["pro", "cloud", "ai"]
    )
    held = validate(client, license.key, fingerprint="laptop-1", entitlements=["export", "pro"])
    keygen_shape = validate(
        client, license.key, scope={"fingerprint": "laptop-1", "entitlements": ["cloud"]}
    )

    assert (missing["valid"], missing["code"]) == (False, "ENTITLEMENTS_MISSING")
    assert missing["detail"] == "The licence does not include: cloud, ai."
    assert (held["valid"], held["code"]) == (True, "VALID")
    assert (keygen_shape["code"], keygen_shape["detail"]) == (
        "ENTITLEMENTS_MISSING",
        "The licence does not include: cloud.",
    )


def test_a_strict_licence_with_no_machine_is_no_machine_with_or_without_a_fingerprint(
    shop, client_for
):
    license = make_license(shop)
    client = client_for(shop.tenant)

    with_fingerprint = validate(client, license.key, fingerprint="laptop-1")
    without = validate(client, license.key)

    for body in (with_fingerprint, without):
        assert (body["valid"], body["code"]) == (False, "NO_MACHINE")
        assert body["detail"] == (
            "The licence has not been activated on any machine; activate this one first."
        )
    assert machines_of(shop.tenant, license) == []


def test_a_strict_licence_used_on_another_machine_is_a_fingerprint_mismatch(shop, client_for):
    license = make_license(shop)
    add_machine(shop.tenant, license, "laptop-1")
    client = client_for(shop.tenant)

    other_machine = validate(client, license.key, fingerprint="desktop-9")
    without_fingerprint = validate(client, license.key)

    assert (other_machine["valid"], other_machine["code"]) == (False, "FINGERPRINT_SCOPE_MISMATCH")
    assert other_machine["detail"] == "This machine is not activated for the licence."
    assert other_machine["machine"] is None
    # Without a fingerprint the licence is checked as a whole: it is in use, within its limit.
    assert (without_fingerprint["valid"], without_fingerprint["code"]) == (True, "VALID")
    assert machines_of(shop.tenant, license) == ["laptop-1"]


def test_a_licence_over_its_lowered_limit_is_too_many_machines(shop, client_for):
    license = make_license(shop)
    for fingerprint in ("laptop-1", "laptop-2"):
        add_machine(shop.tenant, license, fingerprint)
    with schema_context(shop.tenant.schema_name):
        License.objects.filter(pk=license.pk).update(max_activations=1)

    body = validate(client_for(shop.tenant), license.key, fingerprint="laptop-1")

    assert (body["valid"], body["code"]) == (False, "TOO_MANY_MACHINES")
    assert body["detail"] == "The licence is in use on too many machines (2 of 1)."
    assert (body["license"]["machines"], body["license"]["max_machines"]) == (2, 1)


def test_a_floating_licence_activates_new_machines_while_seats_are_free(shop, client_for):
    policy = make_policy(shop, is_floating=True, max_activations=2, entitlements=["pro"])
    license = make_license(shop, policy)
    client = client_for(shop.tenant)

    first = validate(client, license.key, fingerprint="laptop-1")
    second = validate(client, license.key, fingerprint="laptop-2")
    again = validate(client, license.key, fingerprint="laptop-1")
    third = validate(client, license.key, fingerprint="laptop-3")
    whole = validate(client, license.key)

    assert (first["valid"], first["code"], first["license"]["machines"]) == (True, "VALID", 1)
    assert first["machine"]["fingerprint"] == "laptop-1"
    assert (second["valid"], second["license"]["machines"]) == (True, 2)
    assert (again["valid"], again["license"]["machines"]) == (True, 2)
    assert (third["valid"], third["code"]) == (False, "TOO_MANY_MACHINES")
    assert third["detail"] == "The licence is in use on too many machines (2 of 2)."
    assert (whole["valid"], whole["code"]) == (True, "VALID")
    assert machines_of(shop.tenant, license) == ["laptop-1", "laptop-2"]
    activated = emitted(shop.tenant, "license.machine_activated")
    assert [event["fingerprint"] for event in activated] == ["laptop-1", "laptop-2"]


def test_a_floating_licence_with_no_machine_is_valid_without_a_fingerprint(shop, client_for):
    policy = make_policy(shop, is_floating=True)
    license = make_license(shop, policy)

    body = validate(client_for(shop.tenant), license.key)

    assert (body["valid"], body["code"], body["license"]["machines"]) == (True, "VALID", 0)


def test_a_machine_that_never_sent_a_heartbeat_has_not_started(shop, client_for):
    policy = make_policy(shop, is_heartbeat_required=True, heartbeat_interval_seconds=600)
    license = make_license(shop, policy)
    add_machine(shop.tenant, license, "laptop-1")

    body = validate(client_for(shop.tenant), license.key, fingerprint="laptop-1")

    assert (body["valid"], body["code"]) == (False, "HEARTBEAT_NOT_STARTED")
    assert body["detail"] == "The machine has not sent its first heartbeat."
    assert body["machine"]["heartbeat"] == "not_started"


@pytest.mark.parametrize("on_missed", [MissedHeartbeat.KEEP, MissedHeartbeat.DEACTIVATE])
@pytest.mark.parametrize(
    ("activated_ago", "heartbeat_ago"),
    [(timedelta(hours=2), timedelta(seconds=1201)), (timedelta(seconds=1201), None)],
    ids=["missed heartbeats", "never started within the grace"],
)
def test_a_machine_that_missed_its_heartbeats_is_dead(
    shop, client_for, on_missed, activated_ago, heartbeat_ago
):
    # Interval 600 s x grace 2: dead after 1,200 s without a heartbeat.
    policy = make_policy(
        shop,
        is_heartbeat_required=True,
        heartbeat_interval_seconds=600,
        on_missed_heartbeat=on_missed,
    )
    license = make_license(shop, policy)
    add_machine(shop.tenant, license, "laptop-1")
    age_machine(
        shop.tenant,
        license,
        "laptop-1",
        activated_ago=activated_ago,
        heartbeat_ago=heartbeat_ago,
        now=timezone.now(),
    )

    body = validate(client_for(shop.tenant), license.key, fingerprint="laptop-1")

    assert (body["valid"], body["code"]) == (False, "HEARTBEAT_DEAD")
    assert body["detail"] == "The machine stopped sending heartbeats."
    assert body["machine"]["heartbeat"] == "dead"


def test_a_machine_with_a_recent_heartbeat_is_valid(shop, client_for):
    policy = make_policy(shop, is_heartbeat_required=True, heartbeat_interval_seconds=600)
    license = make_license(shop, policy)
    add_machine(shop.tenant, license, "laptop-1")
    now = timezone.now()
    age_machine(
        shop.tenant,
        license,
        "laptop-1",
        activated_ago=timedelta(hours=5),
        heartbeat_ago=timedelta(seconds=1100),
        now=now,
    )

    body = validate(client_for(shop.tenant), license.key, fingerprint="laptop-1")

    assert (body["valid"], body["code"]) == (True, "VALID")
    assert body["machine"]["heartbeat"] == "alive"


def test_malformed_input_is_a_422_naming_the_field(shop, client_for):
    client = client_for(shop.tenant)

    missing_key = post(client, "/validate", {"fingerprint": "laptop-1"})
    long_fingerprint = post(client, "/validate", {"key": "k", "fingerprint": "f" * 201})

    assert missing_key.status_code == 422
    assert missing_key.json()["error"]["details"][0]["field"] == "key"
    assert long_fingerprint.status_code == 422
    assert long_fingerprint.json()["error"]["details"][0]["field"] == "fingerprint"


def test_validations_are_rate_limited_per_key_with_retry_after(make_tenant, client_for, redis_url):
    tenant = make_licensing_tenant(
        make_tenant, module_config={"licensing": {"validations_per_key_per_minute": 2}}
    )
    shop = make_licensing_shop(tenant)
    license = make_license(shop)
    other = make_license(shop)
    add_machine(tenant, license, "laptop-1")
    client = client_for(tenant)

    answers = [post(client, "/validate", {"key": license.key}) for _ in range(3)]
    other_key = post(client, "/validate", {"key": other.key})

    assert [a.status_code for a in answers] == [200, 200, 429]
    refused = answers[2]
    assert 1 <= int(refused["Retry-After"]) <= 30
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.json()["error"]["details"] == {
        "retry_after": int(refused["Retry-After"]),
        "scope": "licensing_key",
    }
    assert other_key.status_code == 200
    # The same key however it is typed is the same bucket.
    assert post(client, "/validate", {"key": license.key.lower()}).status_code == 429


def test_validations_are_rate_limited_per_client_ip(make_tenant, client_for, redis_url):
    tenant = make_licensing_tenant(
        make_tenant, module_config={"licensing": {"validations_per_ip_per_minute": 3}}
    )
    shop = make_licensing_shop(tenant)
    keys = [make_license(shop).key for _ in range(5)]
    client = client_for(tenant)

    from_one_ip = [post(client, "/validate", {"key": key}).status_code for key in keys[:4]]
    from_another_ip = post(client, "/validate", {"key": keys[4]}, ip="10.1.2.3")

    assert from_one_ip == [200, 200, 200, 429]
    assert from_another_ip.status_code == 200


def test_rate_limit_buckets_are_per_marketplace(make_tenant, client_for, redis_url):
    config = {"licensing": {"validations_per_ip_per_minute": 1}}
    first = make_licensing_tenant(make_tenant, "first-market", module_config=config)
    second = make_licensing_tenant(make_tenant, "second-market", module_config=config)

    assert post(client_for(first), "/validate", {"key": "nope"}).status_code == 200
    assert post(client_for(first), "/validate", {"key": "nope"}).status_code == 429
    assert post(client_for(second), "/validate", {"key": "nope"}).status_code == 200


def test_the_licensing_limits_replace_the_api_anonymous_limit_but_not_the_marketplace_limit(
    shop, client_for, settings, redis_url
):
    # Sellers' software calls anonymously; the API's generic per-IP limit would cap a
    # marketplace below its own licensing setting, so these endpoints use theirs instead.
    settings.SOUK_RATES = {"api_anonymous_ip": "1/m", "api_tenant": "3/m"}
    client = client_for(shop.tenant)

    statuses = [post(client, "/validate", {"key": "nope"}).status_code for _ in range(4)]
    refused = post(client, "/validate", {"key": "nope"})

    assert statuses == [200, 200, 200, 429]
    assert refused.json()["error"]["details"]["scope"] == "api_tenant"


def _license_statements(captured):
    """What the validation itself ran: without django-tenants' host -> tenant lookup and its
    ``SET search_path`` statements, which every request on a tenant host pays."""
    return [
        query["sql"]
        for query in captured
        if not query["sql"].startswith("SET search_path") and "tenants_domain" not in query["sql"]
    ]


def test_a_validation_with_a_fingerprint_costs_one_statement(shop, client_for):
    # The issue allows two (licence, machine); one statement reads both.
    policy = make_policy(
        shop,
        max_activations=2,
        is_heartbeat_required=True,
        heartbeat_interval_seconds=600,
        entitlements=["pro"],
    )
    license = make_license(shop, policy)
    for fingerprint in ("laptop-1", "laptop-2"):
        add_machine(shop.tenant, license, fingerprint, last_heartbeat_at=timezone.now())
    client = client_for(shop.tenant)
    validate(client, license.key, fingerprint="laptop-1")  # the enabled-module set is cached

    with CaptureQueriesContext(connection) as captured:
        body = validate(client, license.key, fingerprint="laptop-2", entitlements=["pro"])

    assert (body["code"], body["machine"]["fingerprint"], body["license"]["machines"]) == (
        "VALID",
        "laptop-2",
        2,
    )
    statements = _license_statements(captured)
    assert len(statements) == 1, statements
    for table in ("licensing_license", "licensing_policy", "licensing_machine"):
        assert table in statements[0]
    assert statements[0].lstrip().startswith("SELECT")


def test_every_kind_of_validation_costs_at_most_one_statement(shop, client_for):
    strict = make_license(shop)
    in_use = make_license(shop)
    add_machine(shop.tenant, in_use, "laptop-1")
    client = client_for(shop.tenant)
    validate(client, strict.key)
    cases = [
        ({"key": strict.key}, "NO_MACHINE", 1),
        ({"key": in_use.key, "fingerprint": "desktop-9"}, "FINGERPRINT_SCOPE_MISMATCH", 1),
        ({"key": in_use.key, "entitlements": ["cloud"]}, "ENTITLEMENTS_MISSING", 1),
        ({"key": "SOUK-00000-00000-00000-00000-00000"}, "NOT_FOUND", 1),
        ({"key": "not a key"}, "NOT_FOUND", 0),
    ]

    for scope, code, statement_count in cases:
        with CaptureQueriesContext(connection) as captured:
            assert validate(client, **scope)["code"] == code
        assert len(_license_statements(captured)) == statement_count, (
            code,
            captured.captured_queries,
        )


def test_validation_is_gone_when_the_module_is_off(shop, client_for):
    license = make_license(shop)
    set_module_enabled(tenant=shop.tenant, key="licensing", is_enabled=False)

    response = post(client_for(shop.tenant), "/validate", {"key": license.key})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
