"""A licence's life after issuing: suspended and reinstated (by its seller, or while a payment
is disputed), revoked (refund), expired (its time ran out, or its subscription ended),
extended, its activation limit changed, its machines reset.

Every change locks the licence row, is a no-op when the licence is already where it was asked
to go (consumers and beat runs repeat), and announces itself through the outbox
(``license.<verb>``, payload from ``announce``) in the same transaction.

``status_reason`` holds a short code for the marketplace's own changes (the constants below)
and the seller's words for theirs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import events
from core.errors import ErrorKind
from modules.licensing.errors import LicensingError, LicensingErrorCode
from modules.licensing.models import License, LicenseStatus, Machine

REFUNDED = "refunded"
DISPUTE = "dispute"
EXPIRED = "expired"
PLAN_DOWNGRADED = "plan_downgraded"
SUBSCRIPTION_CANCELLED = "subscription_cancelled"
PAYMENT_FAILED = "payment_failed"
MAX_ACTIVATIONS = 100_000
MAX_EXTENSION_DAYS = 36_500


def payload(license: License) -> dict[str, Any]:
    return {
        "license_id": license.pk,
        # Sellers' systems know licences by key; their webhooks are signed and go only to the
        # seller who sold the licence.
        "key": license.key,
        "product_id": license.product_id,
        "seller_id": license.seller_id,
        "buyer_id": license.buyer_id,
        "order_line_id": license.order_line_id,
        "subscription_id": license.subscription_id,
        "status": license.status,
        "status_reason": license.status_reason,
        "expires_at": license.expires_at.isoformat() if license.expires_at else None,
    }


def announce(event_type: str, license: License, **extra: Any) -> None:
    events.emit(event_type, {**payload(license), **extra})


def change_refused(message: str, **details: Any) -> LicensingError:
    return LicensingError(
        LicensingErrorCode.INVALID_LICENSE_CHANGE,
        message,
        details=details or None,
        kind=ErrorKind.CONFLICT,
    )


def invalid_field(field_name: str, message: str) -> LicensingError:
    return LicensingError(
        LicensingErrorCode.INVALID_LICENSE_CHANGE,
        message,
        details={"field": field_name},
        kind=ErrorKind.INVALID,
    )


def _locked(license: License) -> License:
    return License.objects.select_for_update().get(pk=license.pk)


def _set_status(license: License, status: LicenseStatus, reason: str) -> None:
    license.status = status
    license.status_reason = reason[:300]
    license.save(update_fields=["status", "status_reason", "updated_at"])


def _is_past(moment: datetime | None, now: datetime | None = None) -> bool:
    return moment is not None and moment <= (now or timezone.now())


# --- status -------------------------------------------------------------------------------------


@transaction.atomic
def suspend(*, license: License, reason: str, actor_label: str) -> License:
    """Active -> suspended. Already suspended: unchanged (the first reason stays)."""
    locked = _locked(license)
    if locked.status == LicenseStatus.SUSPENDED:
        return locked
    if locked.status != LicenseStatus.ACTIVE:
        raise change_refused(
            f"Only an active licence can be suspended; this one is {locked.status}.",
            status=locked.status,
        )
    _set_status(locked, LicenseStatus.SUSPENDED, reason)
    announce("license.suspended", locked, actor=actor_label)
    return locked


@transaction.atomic
def reinstate(*, license: License, actor_label: str, reason: str = "") -> License:
    """Suspended -> active (or expired, when its time ran out meanwhile). A licence suspended
    over a disputed payment comes back only when the dispute is won."""
    locked = _locked(license)
    if locked.status == LicenseStatus.ACTIVE:
        return locked
    if locked.status != LicenseStatus.SUSPENDED:
        raise change_refused(
            f"Only a suspended licence can be reinstated; this one is {locked.status}.",
            status=locked.status,
        )
    if locked.status_reason == DISPUTE and actor_label != "system:dispute":
        raise change_refused(
            "This licence is suspended while its payment is disputed; it is reinstated when "
            "the dispute is won.",
            status=locked.status,
            status_reason=locked.status_reason,
        )
    if _is_past(locked.expires_at):
        _set_status(locked, LicenseStatus.EXPIRED, EXPIRED)
        announce("license.expired", locked, actor=actor_label)
        return locked
    _set_status(locked, LicenseStatus.ACTIVE, reason)
    announce("license.reinstated", locked, actor=actor_label)
    return locked


@transaction.atomic
def revoke(*, license: License, reason: str, actor_label: str) -> License:
    """For good (refunded, lost dispute, a smaller plan): nothing brings it back."""
    locked = _locked(license)
    if locked.status == LicenseStatus.REVOKED:
        return locked
    _set_status(locked, LicenseStatus.REVOKED, reason)
    announce("license.revoked", locked, actor=actor_label)
    return locked


@transaction.atomic
def expire(*, license: License, reason: str = EXPIRED, actor_label: str = "system:expiry") -> bool:
    locked = _locked(license)
    if locked.status not in (LicenseStatus.ACTIVE, LicenseStatus.SUSPENDED):
        return False
    _set_status(locked, LicenseStatus.EXPIRED, reason)
    announce("license.expired", locked, actor=actor_label)
    return True


def expire_due_licenses(*, now: datetime | None = None, limit: int = 1000) -> int:
    """The beat's sweep: licences whose time ran out, oldest first."""
    now = now or timezone.now()
    due = list(
        License.objects.filter(
            status__in=[LicenseStatus.ACTIVE, LicenseStatus.SUSPENDED], expires_at__lte=now
        )
        .order_by("expires_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for license_id in due:
        license = License(pk=license_id)
        with transaction.atomic():
            locked = _locked(license)
            if _is_past(locked.expires_at, now):
                expired += expire(license=locked)
    return expired


# --- time ---------------------------------------------------------------------------------------


@transaction.atomic
def extend_to(*, license: License, expires_at: datetime, actor_label: str) -> bool:
    """Never shortens, never limits a perpetual licence. An expired licence whose new end is
    ahead is active again (a renewal paid late). True when the expiry moved."""
    locked = _locked(license)
    if locked.status == LicenseStatus.REVOKED or locked.expires_at is None:
        return False
    if expires_at <= locked.expires_at:
        return False
    locked.expires_at = expires_at
    locked.save(update_fields=["expires_at", "updated_at"])
    announce("license.extended", locked, actor=actor_label)
    if locked.status == LicenseStatus.EXPIRED and not _is_past(expires_at):
        _set_status(locked, LicenseStatus.ACTIVE, "")
        announce("license.reinstated", locked, actor=actor_label)
    return True


@transaction.atomic
def extend(
    *,
    license: License,
    days: int | None = None,
    expires_at: datetime | None = None,
    actor_label: str,
    now: datetime | None = None,
) -> License:
    """A seller's extension: ``days`` more (from the current end, or from now when it is past)
    or a new end ``expires_at``; an expired licence is active again."""
    now = now or timezone.now()
    if (days is None) == (expires_at is None):
        raise invalid_field("days", "Give either days or expires_at.")
    locked = _locked(license)
    if locked.status == LicenseStatus.REVOKED:
        raise change_refused("A revoked licence cannot be extended.", status=locked.status)
    if days is not None:
        if not 1 <= days <= MAX_EXTENSION_DAYS:
            raise invalid_field("days", f"Between 1 and {MAX_EXTENSION_DAYS:,} days.")
        start = locked.expires_at if locked.expires_at and locked.expires_at > now else now
        expires_at = start + timedelta(days=days)
    assert expires_at is not None
    if expires_at <= now:
        raise invalid_field("expires_at", "The new expiry must be in the future.")
    if expires_at > now + timedelta(days=MAX_EXTENSION_DAYS):
        raise invalid_field("expires_at", "At most 100 years ahead.")
    locked.expires_at = expires_at
    locked.save(update_fields=["expires_at", "updated_at"])
    announce("license.extended", locked, actor=actor_label)
    if locked.status == LicenseStatus.EXPIRED:
        _set_status(locked, LicenseStatus.ACTIVE, "")
        announce("license.reinstated", locked, actor=actor_label)
    return locked


def subscription_end_reason(cancel_reason: str) -> str:
    return PAYMENT_FAILED if cancel_reason == "payment_failed" else SUBSCRIPTION_CANCELLED


@transaction.atomic
def end_at(
    *, license: License, ended_at: datetime, unless_beyond: datetime, reason: str
) -> License:
    """The licence's subscription has ended (at ``ended_at``): so has the licence, unless
    its seller extended it beyond ``unless_beyond``, what the subscription gave."""
    locked = _locked(license)
    if locked.status in (LicenseStatus.REVOKED, LicenseStatus.EXPIRED):
        return locked
    if locked.expires_at is not None and locked.expires_at > unless_beyond:
        return locked
    if locked.expires_at is None or locked.expires_at > ended_at:
        locked.expires_at = ended_at
        locked.save(update_fields=["expires_at", "updated_at"])
    _set_status(locked, LicenseStatus.EXPIRED, reason)
    announce("license.expired", locked, actor="system:subscription")
    return locked


# --- disputes -----------------------------------------------------------------------------------


def _order_licenses(order_id: int) -> Q:
    """The order's licences: issued for its lines and, when the order paid for a
    subscription (its first checkout or a renewal), every licence of that subscription."""
    from core.commerce.models import Order

    own = Q(order_line__order_id=order_id)
    subscription_ids = {
        pk
        for pk in License.objects.filter(own).values_list("subscription_id", flat=True)
        if pk is not None
    }
    renewed = Order.objects.filter(pk=order_id).values_list("subscription_id", flat=True).first()
    if renewed is not None:
        subscription_ids.add(renewed)
    return own | Q(subscription_id__in=subscription_ids) if subscription_ids else own


def suspend_for_dispute(*, order_id: int) -> int:
    suspended = 0
    active = License.objects.filter(_order_licenses(order_id), status=LicenseStatus.ACTIVE)
    for license in active.order_by("id"):
        locked = suspend(license=license, reason=DISPUTE, actor_label="system:dispute")
        suspended += locked.status_reason == DISPUTE
    return suspended


def reinstate_after_dispute(*, order_id: int) -> int:
    """Won: the licences the dispute suspended are back (a seller's own suspension stays)."""
    held = License.objects.filter(
        _order_licenses(order_id), status=LicenseStatus.SUSPENDED, status_reason=DISPUTE
    )
    for license in held.order_by("id"):
        reinstate(license=license, actor_label="system:dispute")
    return len(held)


# --- activations --------------------------------------------------------------------------------


@transaction.atomic
def set_max_activations(
    *, license: License, max_activations: int | None, actor_label: str, force: bool = False
) -> License:
    """This licence's own limit (None: the policy's). Lower than the machines in use is
    refused unless ``force`` (a smaller plan: the software meets TOO_MANY_MACHINES)."""
    locked = _locked(license)
    if max_activations is not None and not 1 <= max_activations <= MAX_ACTIVATIONS:
        raise invalid_field("max_activations", f"Between 1 and {MAX_ACTIVATIONS:,}, or null.")
    if max_activations is not None and not force:
        in_use = Machine.objects.filter(license=locked).count()
        if max_activations < in_use:
            raise invalid_field(
                "max_activations",
                f"{in_use} machines use this licence; deactivate some or reset activations first.",
            )
    if locked.max_activations == max_activations:
        return locked
    locked.max_activations = max_activations
    locked.save(update_fields=["max_activations", "updated_at"])
    announce(
        "license.updated",
        locked,
        actor=actor_label,
        max_activations=max_activations or locked.policy.max_activations,
    )
    return locked


@transaction.atomic
def reset_activations(*, license: License, actor_label: str) -> int:
    """Every machine deactivated (a buyer's new computer, a lost laptop)."""
    locked = _locked(license)
    removed, _ = Machine.objects.filter(license=locked).delete()
    if removed:
        announce("license.activations_reset", locked, actor=actor_label, machines=removed)
    return removed


@transaction.atomic
def deactivate_machine(*, license: License, machine_id: int, actor_label: str) -> None:
    locked = _locked(license)
    machine = Machine.objects.filter(pk=machine_id, license=locked).first()
    if machine is None:
        raise LicensingError(
            LicensingErrorCode.MACHINE_NOT_FOUND, "No such machine.", kind=ErrorKind.NOT_FOUND
        )
    fingerprint = machine.fingerprint
    machine.delete()
    announce(
        "license.machine_deactivated",
        locked,
        actor=actor_label,
        machine_id=machine_id,
        fingerprint=fingerprint,
    )
