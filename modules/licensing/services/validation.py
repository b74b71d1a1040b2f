"""Validation: may this key be used right now - on this machine, with these features? The
answer is a machine-readable code (Keygen's vocabulary) and a sentence saying why.

Checks run in this order; the first that fails is the answer:

==========================  =================================================================
code                        when
==========================  =================================================================
NOT_FOUND                   no licence has this key in this marketplace
REVOKED                     the licence was revoked (refund, chargeback, seller)
SUSPENDED                   the licence is suspended (open dispute, seller)
EXPIRED                     status expired, or ``expires_at`` has passed
FINGERPRINT_SCOPE_REQUIRED  no fingerprint, and the policy requires heartbeats (liveness is
                            per machine, so a heartbeat policy can only be checked with one)
ENTITLEMENTS_MISSING        an entitlement asked for is not among the policy's
TOO_MANY_MACHINES           more machines are activated than the licence allows now (its
                            limit was lowered), or - floating - the fingerprint is new and
                            every seat is taken
NO_MACHINE                  strict policy and the licence has no machine activated at all:
                            the software should activate this machine first
FINGERPRINT_SCOPE_MISMATCH  strict policy, the licence has machines, and the fingerprint
                            given is not one of them (the key is in use elsewhere)
HEARTBEAT_NOT_STARTED       heartbeat policy, the machine was activated but has not sent its
                            first heartbeat yet (and is still within its grace window)
HEARTBEAT_DEAD              heartbeat policy, the machine missed its heartbeats: none for
                            interval x ``HEARTBEAT_GRACE_FACTOR`` (counted from activation
                            when it never sent one). Under ``on_missed_heartbeat=deactivate``
                            the reaper also deletes it, freeing the seat
VALID                       none of the above
==========================  =================================================================

Floating policies: a fingerprint that is not yet a machine of the licence is activated by the
validation itself while seats are free (through ``activation.activate_machine``: the licence
row is locked, the seat re-counted, and the per-licence activation rate limit applies); the
answer is then that of the new machine. Without a fingerprint, a floating licence is checked
as a whole (status, entitlements, not over its limit).

A validation costs one SQL statement (the issue allows two): the licence by key, its policy
joined, its machine count as a subquery and the machine with the fingerprint left-joined. Only
a floating activation writes (and then costs more: lock, count, insert, event).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.db import connection
from django.utils import timezone

from modules.licensing.errors import LicensingError, LicensingErrorCode
from modules.licensing.keys import normalise_key
from modules.licensing.manifest import LicensingSettings, manifest
from modules.licensing.models import License, LicenseStatus, Machine, Policy
from tenants.selectors import current_tenant_row

# A machine is dead after this many heartbeat intervals without one: one missed heartbeat (a
# laptop asleep, a flaky network) is forgiven.
HEARTBEAT_GRACE_FACTOR = 2


class ValidationCode(StrEnum):
    VALID = "VALID"
    NOT_FOUND = "NOT_FOUND"
    REVOKED = "REVOKED"
    SUSPENDED = "SUSPENDED"
    EXPIRED = "EXPIRED"
    FINGERPRINT_SCOPE_REQUIRED = "FINGERPRINT_SCOPE_REQUIRED"
    ENTITLEMENTS_MISSING = "ENTITLEMENTS_MISSING"
    TOO_MANY_MACHINES = "TOO_MANY_MACHINES"
    NO_MACHINE = "NO_MACHINE"
    FINGERPRINT_SCOPE_MISMATCH = "FINGERPRINT_SCOPE_MISMATCH"
    HEARTBEAT_NOT_STARTED = "HEARTBEAT_NOT_STARTED"
    HEARTBEAT_DEAD = "HEARTBEAT_DEAD"


class HeartbeatStatus(StrEnum):
    NOT_REQUIRED = "not_required"
    NOT_STARTED = "not_started"
    ALIVE = "alive"
    DEAD = "dead"


@dataclass(frozen=True)
class LicenseState:
    id: int
    status: str
    product_id: int
    expires_at: datetime | None
    entitlements: list[str]
    max_machines: int
    machines: int
    is_floating: bool
    is_heartbeat_required: bool
    heartbeat_interval_seconds: int


@dataclass(frozen=True)
class MachineState:
    id: int
    fingerprint: str
    name: str
    platform: str
    activated_at: datetime
    last_heartbeat_at: datetime | None
    heartbeat: HeartbeatStatus
    # When the machine counts as dead without another heartbeat (None: not required).
    heartbeat_due_by: datetime | None


@dataclass(frozen=True)
class Validation:
    code: ValidationCode
    detail: str
    license: LicenseState | None = None
    machine: MachineState | None = None

    @property
    def is_valid(self) -> bool:
        return self.code is ValidationCode.VALID


def licensing_settings() -> LicensingSettings:
    """This marketplace's licensing tunables (defaults outside a tenant)."""
    tenant = current_tenant_row()
    if tenant is None:
        return LicensingSettings.model_validate({})
    return manifest.settings_for(tenant)


def max_machines(license: License) -> int:
    return license.max_activations or license.policy.max_activations


def inactive_code(license: License, *, now: datetime) -> ValidationCode | None:
    """Why the licence cannot be used at all, or None when its status allows use."""
    if license.status == LicenseStatus.REVOKED:
        return ValidationCode.REVOKED
    if license.status == LicenseStatus.SUSPENDED:
        return ValidationCode.SUSPENDED
    if license.status == LicenseStatus.EXPIRED or (
        license.expires_at is not None and license.expires_at <= now
    ):
        return ValidationCode.EXPIRED
    return None


def heartbeat_due_by(machine: Machine, policy: Policy) -> datetime | None:
    if not policy.is_heartbeat_required:
        return None
    since = machine.last_heartbeat_at or machine.activated_at
    return since + timedelta(seconds=policy.heartbeat_interval_seconds * HEARTBEAT_GRACE_FACTOR)


def heartbeat_status(machine: Machine, policy: Policy, *, now: datetime) -> HeartbeatStatus:
    due_by = heartbeat_due_by(machine, policy)
    if due_by is None:
        return HeartbeatStatus.NOT_REQUIRED
    if due_by <= now:
        return HeartbeatStatus.DEAD
    if machine.last_heartbeat_at is None:
        return HeartbeatStatus.NOT_STARTED
    return HeartbeatStatus.ALIVE


def machine_state(machine: Machine, policy: Policy, *, now: datetime) -> MachineState:
    return MachineState(
        id=machine.pk,
        fingerprint=machine.fingerprint,
        name=machine.name,
        platform=machine.platform,
        activated_at=machine.activated_at,
        last_heartbeat_at=machine.last_heartbeat_at,
        heartbeat=heartbeat_status(machine, policy, now=now),
        heartbeat_due_by=heartbeat_due_by(machine, policy),
    )


_LICENSE = License._meta.db_table
_POLICY = Policy._meta.db_table
_MACHINE = Machine._meta.db_table
# The module's hot path, written out: building the equivalent querysets cost ~1.7 ms of
# Python per validation against ~0.13 ms for this statement's round trip, and writing it out
# took bench/licensing.py from 0.52 to 0.72 of the trivial endpoint's rate. Column names are
# the models' own (no db_column anywhere); test_validation pins the statement count and each
# code's answer, so a model change that breaks it fails there. Never saved: the instances
# built from the row hold only what validation reads.
_LOOKUP_SQL = f"""
SELECT l.id, l.status, l.product_id, l.expires_at, l.max_activations,
       p.id, p.max_activations, p.is_floating, p.is_heartbeat_required,
       p.heartbeat_interval_seconds, p.entitlements,
       (SELECT count(*) FROM {_MACHINE} c WHERE c.license_id = l.id),
       m.id, m.name, m.platform, m.activated_at, m.last_heartbeat_at
FROM {_LICENSE} l
JOIN {_POLICY} p ON p.id = l.policy_id
LEFT JOIN {_MACHINE} m ON m.license_id = l.id AND m.fingerprint = %s
WHERE l.key = %s
"""


@dataclass(frozen=True)
class _Found:
    license: License  # with its policy; only the fields validation reads
    machines: int
    machine: Machine | None  # the one with the fingerprint asked about


def _find_license(key: str, fingerprint: str | None) -> _Found | None:
    """One statement: the licence by key, its policy, how many machines it has, and the
    machine with ``fingerprint`` (a unique index serves each part)."""
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP_SQL, [fingerprint, key])
        row = cursor.fetchone()
    if row is None:
        return None
    entitlements = row[10] if isinstance(row[10], list) else json.loads(row[10])
    policy = Policy(
        id=row[5],
        max_activations=row[6],
        is_floating=row[7],
        is_heartbeat_required=row[8],
        heartbeat_interval_seconds=row[9],
        entitlements=entitlements,
    )
    license = License(
        id=row[0],
        status=row[1],
        product_id=row[2],
        expires_at=row[3],
        max_activations=row[4],
        policy=policy,
    )
    machine = None
    if row[12] is not None:
        machine = Machine(
            id=row[12],
            license=license,
            fingerprint=fingerprint or "",
            name=row[13],
            platform=row[14],
            activated_at=row[15],
            last_heartbeat_at=row[16],
        )
    return _Found(license, row[11], machine)


def _license_state(license: License, machines: int) -> LicenseState:
    policy = license.policy
    return LicenseState(
        id=license.pk,
        status=license.status,
        product_id=license.product_id,
        expires_at=license.expires_at,
        entitlements=list(policy.entitlements),
        max_machines=max_machines(license),
        machines=machines,
        is_floating=policy.is_floating,
        is_heartbeat_required=policy.is_heartbeat_required,
        heartbeat_interval_seconds=policy.heartbeat_interval_seconds,
    )


_DETAILS = {
    ValidationCode.VALID: "The licence is valid.",
    ValidationCode.NOT_FOUND: "No licence has this key.",
    ValidationCode.REVOKED: "The licence has been revoked.",
    ValidationCode.SUSPENDED: "The licence is suspended.",
    ValidationCode.EXPIRED: "The licence has expired.",
    ValidationCode.FINGERPRINT_SCOPE_REQUIRED: "This licence must be validated with the "
    "machine's fingerprint.",
    ValidationCode.ENTITLEMENTS_MISSING: "The licence does not include: {missing}.",
    ValidationCode.TOO_MANY_MACHINES: "The licence is in use on too many machines "
    "({machines} of {max_machines}).",
    ValidationCode.NO_MACHINE: "The licence has not been activated on any machine; "
    "activate this one first.",
    ValidationCode.FINGERPRINT_SCOPE_MISMATCH: "This machine is not activated for the licence.",
    ValidationCode.HEARTBEAT_NOT_STARTED: "The machine has not sent its first heartbeat.",
    ValidationCode.HEARTBEAT_DEAD: "The machine stopped sending heartbeats.",
}


def _answer(
    code: ValidationCode,
    license: LicenseState | None = None,
    machine: MachineState | None = None,
    **facts: object,
) -> Validation:
    return Validation(code, _DETAILS[code].format(**facts), license, machine)


def validate_license(
    *,
    key: str,
    fingerprint: str | None = None,
    entitlements: Sequence[str] = (),
    ip_address: str | None = None,
    now: datetime | None = None,
    is_activation_allowed: bool = True,
) -> Validation:
    """The licence's answer for this machine and these entitlements (see the module doc).
    ``is_activation_allowed=False`` keeps a floating validation read-only."""
    now = now or timezone.now()
    stored_key = normalise_key(key)
    found = _find_license(stored_key, fingerprint or None) if stored_key is not None else None
    if found is None:
        return _answer(ValidationCode.NOT_FOUND)
    license, count, machine = found.license, found.machines, found.machine
    policy = license.policy
    state = _license_state(license, count)
    if (code := inactive_code(license, now=now)) is not None:
        return _answer(code, state)
    if not fingerprint and policy.is_heartbeat_required:
        return _answer(ValidationCode.FINGERPRINT_SCOPE_REQUIRED, state)
    missing = [
        wanted for wanted in dict.fromkeys(entitlements) if wanted not in policy.entitlements
    ]
    if missing:
        return _answer(ValidationCode.ENTITLEMENTS_MISSING, state, missing=", ".join(missing))
    if count > state.max_machines:
        return _answer(
            ValidationCode.TOO_MANY_MACHINES, state, machines=count, max_machines=state.max_machines
        )
    if not policy.is_floating and count == 0:
        return _answer(ValidationCode.NO_MACHINE, state)
    if not fingerprint:
        return _answer(ValidationCode.VALID, state)
    if machine is None and not policy.is_floating:
        return _answer(ValidationCode.FINGERPRINT_SCOPE_MISMATCH, state)
    if machine is None:
        if count >= state.max_machines or not is_activation_allowed:
            return _answer(
                ValidationCode.TOO_MANY_MACHINES,
                state,
                machines=count,
                max_machines=state.max_machines,
            )
        return _activate_floating(
            key=key, fingerprint=fingerprint, entitlements=entitlements, ip_address=ip_address
        )
    machine_view = machine_state(machine, policy, now=now)
    if machine_view.heartbeat is HeartbeatStatus.NOT_STARTED:
        return _answer(ValidationCode.HEARTBEAT_NOT_STARTED, state, machine_view)
    if machine_view.heartbeat is HeartbeatStatus.DEAD:
        return _answer(ValidationCode.HEARTBEAT_DEAD, state, machine_view)
    return _answer(ValidationCode.VALID, state, machine_view)


def _activate_floating(
    *, key: str, fingerprint: str, entitlements: Sequence[str], ip_address: str | None
) -> Validation:
    """Take a free seat for a new fingerprint, then answer for the new machine. The seat was
    free when counted without a lock; the activation re-counts under the licence's lock."""
    # Imported here: activation builds on this module's checks.
    from modules.licensing.services.activation import activate_machine

    try:
        activate_machine(key=key, fingerprint=fingerprint, ip_address=ip_address)
    except LicensingError as exc:
        if exc.code == LicensingErrorCode.ACTIVATION_RATE_LIMITED:
            raise
        # Someone took the last seat (or changed the licence) meanwhile: answer afresh.
    return validate_license(
        key=key,
        fingerprint=fingerprint,
        entitlements=entitlements,
        ip_address=ip_address,
        is_activation_allowed=False,
    )
