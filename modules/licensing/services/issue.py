"""Issuing licences for paid order lines, and keeping subscription licences in step with
their subscription.

How many licences a line gets (``units`` = quantity x the variant's seats, 1 without seats):
- a **per-seat** policy issues one licence per unit, each allowing the policy's activations
  (a team of five gets five keys, one per person);
- otherwise one **pooled** licence is issued whose ``max_activations`` override is the
  policy's activations x units (five copies for one person or one machine pool share one key);
  with a single unit the override stays empty, so later changes of the policy apply.

Issuing is idempotent per line and seat (``License(order_line, seat)`` is unique): the hook
runs under the line's row lock, and a retried task creates only the seats still missing.

Expiry: a one-time purchase expires ``policy.duration_days`` after payment (never when empty).
A subscription's licence runs to the end of the period paid for plus ``subscription_grace()``
(the dunning retries, so a card that fails once does not lock the buyer out while the
marketplace tries again); renewals extend it, cancellation ends it (``consumers.py``). A
renewal or upgrade order (``order.subscription_id`` set) extends the subscription's licences
instead of issuing new keys. When the plan's seats change (an upgrade, or a downgrade taking
effect at renewal), a per-seat policy gets the extra seats issued or the surplus revoked
(newest first, reason ``plan_downgraded``), and a pooled licence the new plan's limit. A
renewal paid after its subscription was cancelled grants nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.commerce.models import LineStatus, Order, OrderLine
from core.subscriptions import conf as subscription_conf
from core.subscriptions.billing import period_end
from core.subscriptions.models import (
    Subscription,
    SubscriptionOrder,
    SubscriptionOrderKind,
    SubscriptionStatus,
)
from modules.licensing.keys import new_key
from modules.licensing.models import License, LicenseStatus, Policy, Provisioning, SoftwareDetails
from modules.licensing.services import lifecycle
from modules.licensing.services.software import default_policy_for

ACTOR = "system:fulfilment"


def subscription_grace() -> timedelta:
    """How long a subscription's licence outlives the period paid for: every dunning retry,
    and a day more."""
    return sum(subscription_conf.retry_delays(), timedelta()) + timedelta(days=1)


def units_of(line: OrderLine) -> int:
    seats = line.variant.seats if line.variant is not None and line.variant.seats else 1
    return line.quantity * seats


def _line(line_id: Any) -> OrderLine:
    return OrderLine.objects.select_related(
        "order", "product", "variant", "recurring_price", "sub_order"
    ).get(pk=line_id)


def issue_for_line(*, line_id: int) -> list[License]:
    """The fulfil hook's work: licences for a paid line (or the subscription's, extended)."""
    line = _line(line_id)
    if line.order.subscription_id is not None:
        return apply_subscription_order_line(line=line)
    policy = default_policy_for(product=line.product)
    started = line.order.paid_at or timezone.now()
    subscription_id: int | None = None
    if line.recurring_price_id is not None:
        subscription_id, expires_at = _first_period_expiry(line, started)
    elif policy.duration_days:
        expires_at = started + timedelta(days=policy.duration_days)
    else:
        expires_at = None
    return _issue(
        line,
        policy,
        seats=range(1, _seat_count(line, policy) + 1),
        expires_at=expires_at,
        subscription_id=subscription_id,
    )


def _seat_count(line: OrderLine, policy: Policy) -> int:
    return units_of(line) if policy.is_license_per_seat else 1


def _pooled_override(line: OrderLine, policy: Policy) -> int | None:
    units = units_of(line)
    if policy.is_license_per_seat or units == 1:
        return None
    return policy.max_activations * units


def _first_period_expiry(line: OrderLine, started: datetime) -> tuple[int | None, datetime]:
    """The subscription's period end (+ grace). The subscription is made by the order.paid
    consumer, which may run after this hook: then the period is worked out the way it will
    be (``core.subscriptions.services.paid_orders``), and ``subscription.created`` links it."""
    subscription = Subscription.objects.filter(first_order_line=line).first()
    if subscription is not None:
        return subscription.pk, subscription.current_period_end + subscription_grace()
    price = line.recurring_price
    assert price is not None
    trial_end = started + timedelta(days=price.trial_days) if price.trial_days else None
    end = trial_end or period_end(started, price, anchor=started)
    return None, end + subscription_grace()


def _issue(
    line: OrderLine,
    policy: Policy,
    *,
    seats: range,
    expires_at: datetime | None,
    subscription_id: int | None,
) -> list[License]:
    existing = set(License.objects.filter(order_line=line).values_list("seat", flat=True))
    override = _pooled_override(line, policy)
    made = License.objects.bulk_create(
        License(
            key=new_key(),
            product_id=line.product_id,
            policy=policy,
            seller_id=line.sub_order.seller_id,
            buyer_id=line.order.buyer_id,
            order_line=line,
            seat=seat,
            subscription_id=subscription_id,
            max_activations=override,
            expires_at=expires_at,
        )
        for seat in seats
        if seat not in existing
    )
    provisioning = (
        SoftwareDetails.objects.filter(product_id=line.product_id)
        .values_list("provisioning", flat=True)
        .first()
    ) or Provisioning.MANUAL
    for license in made:
        license.policy = policy
        lifecycle.announce(
            "license.issued",
            license,
            buyer_email=line.order.email,
            order_id=line.order_id,
            seat=license.seat,
            max_activations=license.max_activations or policy.max_activations,
            entitlements=list(policy.entitlements),
            provisioning=provisioning,
        )
    return made


# --- subscriptions ------------------------------------------------------------------------------


def subscription_licenses(
    *, subscription_id: int, first_order_line_id: int | None = None
) -> QuerySet[License]:
    """The subscription's licences: linked to it, or issued for the line that started it and
    not linked yet."""
    condition = Q(subscription_id=subscription_id)
    if first_order_line_id is not None:
        condition |= Q(order_line_id=first_order_line_id, subscription_id__isnull=True)
    return License.objects.filter(condition)


def apply_subscription_order_line(*, line: OrderLine) -> list[License]:
    """A paid renewal extends the subscription's licences to the period it paid for; a paid
    plan change keeps their expiry. Either way a per-seat policy follows the plan's seats."""
    order: Order = line.order
    subscription_id = order.subscription_id
    assert subscription_id is not None
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is not None and subscription.status == SubscriptionStatus.CANCELLED:
        return []  # paid in a race with the cancellation: the order is refundable, no access
    link = SubscriptionOrder.objects.filter(order_id=order.pk).first()
    first_line_id = subscription.first_order_line_id if subscription is not None else None
    licenses = list(
        subscription_licenses(
            subscription_id=subscription_id, first_order_line_id=first_line_id
        ).order_by("id")
    )
    policy = default_policy_for(product=line.product)
    expires_at = None
    if link is not None and link.kind == SubscriptionOrderKind.RENEWAL:
        expires_at = link.period_end + subscription_grace()
    if not licenses:  # the subscription began before this marketplace sold it with licences
        end = expires_at or (order.paid_at or timezone.now()) + subscription_grace()
        return _issue(
            line,
            policy,
            seats=range(1, _seat_count(line, policy) + 1),
            expires_at=end,
            subscription_id=subscription_id,
        )
    for license in licenses:
        if license.subscription_id is None:
            License.objects.filter(pk=license.pk).update(subscription_id=subscription_id)
        if expires_at is not None:
            lifecycle.extend_to(license=license, expires_at=expires_at, actor_label=ACTOR)
    return _follow_seats(line, policy, licenses, subscription_id, first_line_id)


def _previous_units(line: OrderLine, subscription_id: int, first_line_id: int | None) -> int:
    """The units of the subscription's paid line before ``line`` (the plan it replaces)."""
    previous = (
        OrderLine.objects.filter(Q(order__subscription_id=subscription_id) | Q(pk=first_line_id))
        .filter(pk__lt=line.pk)
        .exclude(status__in=[LineStatus.PENDING, LineStatus.CANCELLED])
        .select_related("variant")
        .order_by("-id")
        .first()
    )
    return units_of(previous) if previous is not None else units_of(line)


def _follow_seats(
    line: OrderLine,
    policy: Policy,
    licenses: list[License],
    subscription_id: int,
    first_line_id: int | None,
) -> list[License]:
    """Per-seat: as many live licences as the plan has seats. Pooled: when the plan's seats
    changed, the one licence allows the new plan's activations (an unchanged plan keeps a
    limit its seller set by hand)."""
    live = [lic for lic in licenses if lic.status != LicenseStatus.REVOKED]
    if not policy.is_license_per_seat:
        if _previous_units(line, subscription_id, first_line_id) == units_of(line):
            return []
        override = _pooled_override(line, policy)
        for license in live:
            if license.max_activations != override:
                lifecycle.set_max_activations(
                    license=license, max_activations=override, actor_label=ACTOR, force=True
                )
        return []
    wanted = units_of(line)
    if wanted < len(live):
        for license in sorted(live, key=lambda lic: lic.pk, reverse=True)[: len(live) - wanted]:
            lifecycle.revoke(license=license, reason=lifecycle.PLAN_DOWNGRADED, actor_label=ACTOR)
        return []
    if wanted == len(live):
        return []
    expiry = max((lic.expires_at for lic in live if lic.expires_at), default=None)
    return _issue(
        line,
        policy,
        seats=range(1, wanted - len(live) + 1),
        expires_at=expiry,
        subscription_id=subscription_id,
    )


@transaction.atomic
def link_subscription(
    *, subscription_id: int, first_order_line_id: int, current_period_end: datetime
) -> int:
    """``subscription.created``: the licences of the line that started it belong to it now
    and run to its first period's end (+ grace)."""
    licenses = list(
        License.objects.select_for_update().filter(
            order_line_id=first_order_line_id, subscription_id__isnull=True
        )
    )
    for license in licenses:
        license.subscription_id = subscription_id
        license.save(update_fields=["subscription_id", "updated_at"])
        lifecycle.extend_to(
            license=license,
            expires_at=current_period_end + subscription_grace(),
            actor_label="system:subscription",
        )
    return len(licenses)


def extend_for_subscription(
    *, subscription_id: int, first_order_line_id: int | None, current_period_end: datetime
) -> int:
    """``subscription.renewed``: every live licence runs to the new period's end (+ grace)."""
    extended = 0
    licenses = subscription_licenses(
        subscription_id=subscription_id, first_order_line_id=first_order_line_id
    ).exclude(status=LicenseStatus.REVOKED)
    for license in licenses.order_by("id"):
        if license.subscription_id is None:
            License.objects.filter(pk=license.pk).update(subscription_id=subscription_id)
        extended += lifecycle.extend_to(
            license=license,
            expires_at=current_period_end + subscription_grace(),
            actor_label="system:subscription",
        )
    return extended


def end_for_subscription(
    *,
    subscription_id: int,
    first_order_line_id: int | None,
    reason: str,
    ended_at: datetime,
    current_period_end: datetime,
) -> int:
    """``subscription.cancelled``: refunded -> revoked; otherwise the licences are expired,
    ending when the subscription did. A seller's goodwill extension past what the
    subscription gave is kept."""
    given = current_period_end + subscription_grace()
    changed = 0
    licenses = subscription_licenses(
        subscription_id=subscription_id, first_order_line_id=first_order_line_id
    ).exclude(status=LicenseStatus.REVOKED)
    for license in licenses.order_by("id"):
        if reason == "refunded":
            lifecycle.revoke(license=license, reason=lifecycle.REFUNDED, actor_label=ACTOR)
        else:
            lifecycle.end_at(
                license=license,
                ended_at=ended_at,
                unless_beyond=given,
                reason=lifecycle.subscription_end_reason(reason),
            )
        changed += 1
    return changed


# --- refunds ------------------------------------------------------------------------------------


def revoke_for_line(*, line_id: int) -> list[License]:
    """The revoke hook's work for a fully refunded line: its licences are revoked. A
    subscription's licences go when the refunded line paid for the current period (what ends
    the subscription too); refunding a period already over takes nothing away."""
    line = _line(line_id)
    targets = _refunded_licenses(line)
    revoked = []
    for license in targets.exclude(status=LicenseStatus.REVOKED).order_by("id"):
        revoked.append(
            lifecycle.revoke(license=license, reason=lifecycle.REFUNDED, actor_label=ACTOR)
        )
    return revoked


def _refunded_licenses(line: OrderLine) -> QuerySet[License]:
    own = License.objects.filter(order_line=line)
    subscription_id = line.order.subscription_id
    if subscription_id is not None:
        link = (
            SubscriptionOrder.objects.filter(order_id=line.order_id)
            .select_related("subscription")
            .first()
        )
        if link is None or link.kind != SubscriptionOrderKind.RENEWAL:
            return own  # an upgrade: the seats it added
        if link.period_start != link.subscription.current_period_start:
            return License.objects.none()
        return subscription_licenses(
            subscription_id=subscription_id,
            first_order_line_id=link.subscription.first_order_line_id,
        )
    if line.recurring_price_id is None:
        return own
    subscription = Subscription.objects.filter(first_order_line=line).first()
    if subscription is None:
        return own
    renewed = SubscriptionOrder.objects.filter(
        subscription=subscription,
        kind=SubscriptionOrderKind.RENEWAL,
        applied_at__isnull=False,
        period_start=subscription.current_period_start,
    ).exists()
    if renewed:
        return License.objects.none()
    return subscription_licenses(subscription_id=subscription.pk, first_order_line_id=line.pk)
