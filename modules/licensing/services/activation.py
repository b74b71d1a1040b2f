"""Machines: the seller's software activates, deactivates and heartbeats a licence on a
machine; a per-schema task frees the seats of machines that stopped heartbeating.

Seat limits hold under concurrency: an activation locks the licence row (``SELECT ... FOR
UPDATE``), then counts its machines and inserts, so activations of one licence are serialised
and never exceed its limit. Activations and deactivations of a licence share one rate limit
(``activations_per_license_per_hour``), so a deactivate/reactivate loop cannot let one licence
serve any number of machines; re-activating a machine that is already active costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import ratelimit
from core.errors import ErrorKind
from core.events import emit
from modules.licensing.errors import LicensingError, LicensingErrorCode
from modules.licensing.keys import normalise_key
from modules.licensing.models import License, Machine, MissedHeartbeat, Policy
from modules.licensing.services.validation import (
    HEARTBEAT_GRACE_FACTOR,
    HeartbeatStatus,
    heartbeat_status,
    inactive_code,
    licensing_settings,
    max_machines,
)

MACHINE_CHANGES_SCOPE = "licensing_machine_changes"
MACHINE_ACTIVATED = "license.machine_activated"
MACHINE_DEACTIVATED = "license.machine_deactivated"
REAP_BATCH = 500


class DeactivationReason(StrEnum):
    SOFTWARE = "software"  # the seller's software asked (POST /deactivate)
    HEARTBEAT_DEAD = "heartbeat_dead"  # missed heartbeats under on_missed_heartbeat=deactivate


@dataclass(frozen=True)
class Activation:
    machine: Machine
    policy: Policy
    machines: int
    max_machines: int
    is_new: bool


def _not_found() -> LicensingError:
    return LicensingError(
        LicensingErrorCode.LICENSE_NOT_FOUND, "No licence has this key.", kind=ErrorKind.NOT_FOUND
    )


def _machine_not_found(**details: Any) -> LicensingError:
    return LicensingError(
        LicensingErrorCode.MACHINE_NOT_FOUND,
        "This machine is not activated for the licence.",
        details=details or None,
        kind=ErrorKind.NOT_FOUND,
    )


def _license(key: str, *, is_locked: bool) -> License:
    stored_key = normalise_key(key)
    if stored_key is None:
        raise _not_found()
    licenses = License.objects.select_related("policy").filter(key=stored_key)
    if is_locked:
        licenses = licenses.select_for_update(of=("self",))
    license = licenses.first()
    if license is None:
        raise _not_found()
    return license


def _require_usable(license: License, now: datetime) -> None:
    code = inactive_code(license, now=now)
    if code is not None:
        raise LicensingError(
            LicensingErrorCode.LICENSE_NOT_ACTIVE,
            f"The licence is {code.lower()}; it cannot be used on a machine.",
            details={"code": str(code)},
            kind=ErrorKind.CONFLICT,
        )


def _count_machine_change(license: License) -> None:
    """One activation or deactivation against the licence's hourly budget."""
    per_hour = licensing_settings().activations_per_license_per_hour
    status = ratelimit.hit(
        scope=MACHINE_CHANGES_SCOPE,
        key=str(license.pk),
        rate=ratelimit.Rate(limit=per_hour, period_seconds=3600),
    )
    if not status.is_allowed:
        raise LicensingError(
            LicensingErrorCode.ACTIVATION_RATE_LIMITED,
            f"This licence was activated or deactivated {per_hour} times in the last hour; "
            f"try again in {status.retry_after} seconds.",
            details={"retry_after": status.retry_after, "limit_per_hour": per_hour},
            kind=ErrorKind.RATE_LIMITED,
            headers={"Retry-After": str(status.retry_after)},
        )


def _event(machine: Machine, license: License, **extra: str) -> dict[str, Any]:
    return {
        "license_id": license.pk,
        "seller_id": license.seller_id,
        "product_id": license.product_id,
        "buyer_id": license.buyer_id,
        "machine_id": machine.pk,
        "fingerprint": machine.fingerprint,
        **extra,
    }


def _remove(machine: Machine, license: License, reason: DeactivationReason) -> None:
    emit(MACHINE_DEACTIVATED, _event(machine, license, reason=str(reason)))
    Machine.objects.filter(pk=machine.pk).delete()


def _dead_since(policy: Policy, now: datetime) -> Q:
    """Machines of ``policy`` with no heartbeat for interval x grace (counted from activation
    when they never sent one)."""
    cutoff = now - timedelta(seconds=policy.heartbeat_interval_seconds * HEARTBEAT_GRACE_FACTOR)
    return Q(last_heartbeat_at__lte=cutoff) | Q(
        last_heartbeat_at__isnull=True, activated_at__lte=cutoff
    )


def _frees_seats(policy: Policy) -> bool:
    return policy.is_heartbeat_required and policy.on_missed_heartbeat == MissedHeartbeat.DEACTIVATE


def activate_machine(
    *,
    key: str,
    fingerprint: str,
    name: str = "",
    platform: str = "",
    ip_address: str | None = None,
    now: datetime | None = None,
) -> Activation:
    """Activate the licence on the machine ``fingerprint`` (idempotent: an active machine is
    returned, with its name, platform and address refreshed)."""
    now = now or timezone.now()
    with transaction.atomic():
        license = _license(key, is_locked=True)
        policy = license.policy
        _require_usable(license, now)
        limit = max_machines(license)
        machine = Machine.objects.filter(license=license, fingerprint=fingerprint).first()
        if machine is not None:
            machine.name = name or machine.name
            machine.platform = platform or machine.platform
            machine.ip_address = ip_address or machine.ip_address
            machine.save(update_fields=["name", "platform", "ip_address"])
            count = Machine.objects.filter(license=license).count()
            return Activation(machine, policy, count, limit, is_new=False)
        if _frees_seats(policy):
            # Dead machines the reaper has not reached yet give their seats up now.
            for dead in Machine.objects.filter(_dead_since(policy, now), license=license).order_by(
                "id"
            ):
                _remove(dead, license, DeactivationReason.HEARTBEAT_DEAD)
        count = Machine.objects.filter(license=license).count()
        if count >= limit:
            raise LicensingError(
                LicensingErrorCode.TOO_MANY_MACHINES,
                f"The licence is already activated on {count} of {limit} machines; "
                "deactivate one first.",
                details={"machines": count, "max_machines": limit},
                kind=ErrorKind.CONFLICT,
            )
        _count_machine_change(license)
        machine = Machine.objects.create(
            license=license,
            fingerprint=fingerprint,
            name=name,
            platform=platform,
            ip_address=ip_address,
        )
        emit(MACHINE_ACTIVATED, _event(machine, license))
        return Activation(machine, policy, count + 1, limit, is_new=True)


def deactivate_machine(
    *,
    key: str,
    fingerprint: str,
    reason: DeactivationReason = DeactivationReason.SOFTWARE,
) -> int:
    """Free the machine's seat; the licence's remaining machine count. Allowed whatever the
    licence's status (giving a seat back is always fine), within the rate limit."""
    with transaction.atomic():
        license = _license(key, is_locked=True)
        machine = Machine.objects.filter(license=license, fingerprint=fingerprint).first()
        if machine is None:
            raise _machine_not_found()
        _count_machine_change(license)
        _remove(machine, license, reason)
        return Machine.objects.filter(license=license).count()


def record_heartbeat(
    *,
    key: str,
    fingerprint: str,
    ip_address: str | None = None,
    now: datetime | None = None,
) -> tuple[Machine, Policy]:
    """The machine is alive. A machine already dead under ``on_missed_heartbeat=deactivate``
    is deactivated instead (as the reaper would) and must be activated again; under ``keep``
    the heartbeat brings it back."""
    now = now or timezone.now()
    license = _license(key, is_locked=False)
    policy = license.policy
    _require_usable(license, now)
    machine = Machine.objects.filter(license=license, fingerprint=fingerprint).first()
    if machine is None:
        raise _machine_not_found()
    if _frees_seats(policy) and heartbeat_status(machine, policy, now=now) is HeartbeatStatus.DEAD:
        with transaction.atomic():
            dead = (
                Machine.objects.select_for_update()
                .filter(_dead_since(policy, now), pk=machine.pk)
                .first()
            )
            if dead is not None:
                _remove(dead, license, DeactivationReason.HEARTBEAT_DEAD)
        raise LicensingError(
            LicensingErrorCode.MACHINE_NOT_FOUND,
            "The machine missed its heartbeats and was deactivated; activate it again.",
            details={"reason": str(DeactivationReason.HEARTBEAT_DEAD)},
            kind=ErrorKind.NOT_FOUND,
        )
    changes: dict[str, Any] = {"last_heartbeat_at": now}
    if ip_address:
        changes["ip_address"] = ip_address
    if not Machine.objects.filter(pk=machine.pk).update(**changes):
        raise _machine_not_found()  # deactivated (or reaped) meanwhile
    machine.last_heartbeat_at = now
    machine.ip_address = ip_address or machine.ip_address
    return machine, policy


def reap_dead_machines(*, now: datetime | None = None, batch: int = REAP_BATCH) -> int:
    """Delete (and announce) the machines that missed their heartbeats, for policies that free
    the seat then; how many. Machines a heartbeat is updating right now are skipped (SKIP
    LOCKED) and looked at again next run."""
    now = now or timezone.now()
    reaped = 0
    policies = Policy.objects.filter(
        is_heartbeat_required=True, on_missed_heartbeat=MissedHeartbeat.DEACTIVATE
    ).only("id", "heartbeat_interval_seconds", "is_heartbeat_required", "on_missed_heartbeat")
    for policy in policies:
        while True:
            with transaction.atomic():
                dead = list(
                    Machine.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("license")
                    .filter(_dead_since(policy, now), license__policy=policy)
                    .order_by("id")[:batch]
                )
                for machine in dead:
                    emit(
                        MACHINE_DEACTIVATED,
                        _event(
                            machine, machine.license, reason=str(DeactivationReason.HEARTBEAT_DEAD)
                        ),
                    )
                Machine.objects.filter(pk__in=[machine.pk for machine in dead]).delete()
            reaped += len(dead)
            if len(dead) < batch:
                break
    return reaped
