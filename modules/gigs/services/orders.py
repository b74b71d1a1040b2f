"""A paid gig line becomes a gig order (the fulfil hook); the buyer's requirements start its
clock; an order without requirements is reminded and, after the frozen policy's days,
cancelled with a full refund; a very late order may be cancelled by its buyer.

Everything the order was bought with is frozen on it here, once: the package and extras as
priced, the checklist, the questions and the marketplace's gig policy of the day."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from core import events
from core.accounts.models import User
from core.commerce.models import OrderLine, SubOrder
from core.commerce.services.escrow import refund_escrow
from core.deadlines.services import cancel_deadline, schedule_deadline
from core.errors import ErrorKind
from modules.gigs.errors import GigsError, GigsErrorCode, invalid, not_found, wrong_state
from modules.gigs.manifest import manifest
from modules.gigs.models import (
    OPEN_STATUSES,
    GigMilestone,
    GigOrder,
    GigPackage,
    GigQuestion,
    GigQuote,
    MilestoneStatus,
    OrderStatus,
    QuestionKind,
)
from modules.gigs.selectors import in_qc_categories
from modules.gigs.services.quotes import package_snapshot
from tenants.selectors import current_tenant_row

DEFAULT_DELIVERY_DAYS = 7  # a gig bought with no package set up (never in the seller's studio)
WORKING = (OrderStatus.IN_PROGRESS, OrderStatus.REVISION_REQUESTED)
FUNDING = "milestone"  # the kind of add-on that funds a milestone of a milestone offer
MAX_ANSWER = 5000


def deadline_key(order_id: int, timer: str) -> str:
    return f"gigs:order:{order_id}:{timer}"


# Every timer an order may have; a closed order cancels them all.
TIMERS = (
    "cancellation-answer",
    "very-late",
    "requirements-expiry",
    "auto-accept-reminder-48h",
    "auto-accept-reminder-24h",
    "auto-accept",
)


def current_policy() -> dict[str, Any]:
    return manifest.settings_for(current_tenant_row()).model_dump(mode="json")


def _frozen_policy(product_id: int) -> dict[str, Any]:
    """The marketplace's policy as the order keeps it, with whether its deliveries wait for
    an operator's check decided now (moving the gig to another category later changes
    nothing for this order)."""
    policy = current_policy()
    policy["qc_required"] = in_qc_categories(product_id, policy)
    return policy


def event_payload(order: GigOrder, **extra: Any) -> dict[str, Any]:
    return {
        "order_id": order.pk,
        "order_line_id": order.order_line_id,
        "seller_id": order.seller_id,
        "buyer_id": order.buyer_id,
        "title": order.title,
        "status": order.status,
        **extra,
    }


def _package_for(line: OrderLine) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The package and extras the line was bought with: the buyer's quote; for a line
    bought straight from the product page, the package named by the variant's SKU, else
    the cheapest one (without extras)."""
    quote = GigQuote.objects.filter(offer_id=line.offer_id).first() if line.offer_id else None
    if quote is not None:
        return dict(quote.package), list(quote.extras)
    packages = GigPackage.objects.filter(product_id=line.product_id)
    sku = line.variant.sku if line.variant_id and line.variant else None
    package = (packages.filter(tier=sku).first() if sku else None) or packages.order_by(
        "price"
    ).first()
    if package is not None:
        return package_snapshot(package), []
    return {
        "tier": "basic",
        "title": line.title,
        "price": line.unit_amount,
        "currency": "",
        "delivery_days": DEFAULT_DELIVERY_DAYS,
        "revisions": 0,
        "features": [],
        "checklist": [],
    }, []


def _delivery_days(package: dict[str, Any], extras: list[dict[str, Any]]) -> int:
    days = int(package["delivery_days"])
    for extra in extras:
        days += -int(extra["days"]) if extra["kind"] == "fast_delivery" else int(extra["days"])
    return max(days, 1)


def _revisions_allowed(package: dict[str, Any], extras: list[dict[str, Any]]) -> int | None:
    if package["revisions"] is None:
        return None
    return int(package["revisions"]) + sum(int(extra["revisions"]) for extra in extras)


def create_order_for_line(*, line_id: int) -> GigOrder | None:
    """The fulfil hook's work (commerce holds the order and line locks): once per line. An
    add-on's line (an extra revision bought later) joins its order instead (None)."""
    existing = GigOrder.objects.filter(order_line_id=line_id).first()
    if existing is not None:
        return existing
    line = OrderLine.objects.select_related("order", "variant").get(pk=line_id)
    if line.offer_id is not None:
        from modules.gigs.services.addons import addon_paid  # addons build on this module

        if addon_paid(line=line):
            return None
    seller_id = SubOrder.objects.values_list("seller_id", flat=True).get(pk=line.sub_order_id)
    package, extras = _package_for(line)
    questions = [
        {
            "id": question.pk,
            "kind": question.kind,
            "prompt": question.prompt,
            "choices": list(question.choices),
            "is_required": question.is_required,
        }
        for question in GigQuestion.objects.filter(product_id=line.product_id)
    ]
    milestone_plan = package.get("milestones")
    order = GigOrder.objects.create(
        order_line=line,
        product_id=line.product_id,
        seller_id=seller_id,
        buyer_id=line.order.buyer_id,
        title=str(package["title"]) if milestone_plan else line.title,
        currency=line.order.currency,
        # A milestone offer's price is all its milestones; the line paid the first.
        amount=int(package["price"]) if milestone_plan else line.total,
        package=package,
        extras=extras,
        checklist=list(package["checklist"]),
        questions=questions,
        policy=_frozen_policy(line.product_id),
        delivery_days=_delivery_days(package, extras),
        revisions_allowed=_revisions_allowed(package, extras),
    )
    if milestone_plan:
        from modules.gigs.services.milestones import create_funded_plan

        create_funded_plan(order)
    events.emit("gig.order_placed", event_payload(order))
    if not questions:
        # Nothing to ask: the clock starts now (Fiverr makes the buyer click "start").
        start_clock(order=order, answers={})
    else:
        _schedule_requirements_reminder(order, order.created_at)
        schedule_deadline(
            key=deadline_key(order.pk, "requirements-expiry"),
            at=order.created_at + timedelta(days=order.policy["requirements_cancel_days"]),
            task="gigs.requirements_expired",
            payload={"order_id": order.pk},
        )
    return order


def _reminder_key(order: GigOrder) -> str:
    return deadline_key(order.pk, f"requirements-reminder-{order.requirements_reminders + 1}")


def _schedule_requirements_reminder(order: GigOrder, after: datetime) -> None:
    schedule_deadline(
        key=_reminder_key(order),
        at=after + timedelta(hours=order.policy["requirements_reminder_hours"]),
        task="gigs.requirements_reminder",
        payload={"order_id": order.pk},
    )


def locked(order_id: int) -> GigOrder:
    return GigOrder.objects.select_for_update().get(pk=order_id)


def buyers_order(*, buyer: User, order_id: int, lock: bool = False) -> GigOrder:
    """``buyer``'s gig order; another buyer's is not found, like one that does not exist."""
    rows = GigOrder.objects.filter(pk=order_id, buyer=buyer)
    order = (rows.select_for_update() if lock else rows).first()
    if order is None:
        raise not_found(GigsErrorCode.ORDER_NOT_FOUND, "No such gig order of yours.")
    return order


def sellers_order(*, seller_id: int, order_id: int, lock: bool = False) -> GigOrder:
    rows = GigOrder.objects.filter(pk=order_id, seller_id=seller_id)
    order = (rows.select_for_update() if lock else rows).first()
    if order is None:
        raise not_found(GigsErrorCode.ORDER_NOT_FOUND, "No such gig order of yours.")
    return order


def _clean_answers(order: GigOrder, answers: dict[str, str]) -> dict[str, str]:
    """Answers by question id (as a string); required ones present, choices among the
    question's, links for file questions (an http(s) URL to the file)."""
    known = {str(question["id"]): question for question in order.questions}
    unknown = sorted(set(answers) - set(known))
    if unknown:
        raise invalid(GigsErrorCode.INVALID_ANSWERS, f"answers.{unknown[0]}", "No such question.")
    cleaned: dict[str, str] = {}
    for key, question in known.items():
        value = (answers.get(key) or "").strip()
        where = f"answers.{key}"
        if not value:
            if question["is_required"]:
                raise invalid(GigsErrorCode.INVALID_ANSWERS, where, "This answer is required.")
            continue
        if len(value) > MAX_ANSWER:
            raise invalid(GigsErrorCode.INVALID_ANSWERS, where, "At most 5000 characters.")
        if question["kind"] == QuestionKind.CHOICE and value not in question["choices"]:
            raise invalid(GigsErrorCode.INVALID_ANSWERS, where, "Pick one of the choices.")
        if question["kind"] == QuestionKind.FILE and not is_link(value):
            raise invalid(GigsErrorCode.INVALID_ANSWERS, where, "Give an http(s) link to the file.")
        cleaned[key] = value
    return cleaned


def is_link(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and len(value) <= 2000


@transaction.atomic
def submit_requirements(*, buyer: User, order_id: int, answers: dict[str, str]) -> GigOrder:
    """The buyer's answers, frozen on the order; the delivery clock starts now."""
    order = buyers_order(buyer=buyer, order_id=order_id, lock=True)
    if order.status != OrderStatus.AWAITING_REQUIREMENTS:
        raise wrong_state("The requirements were already submitted.", order.status)
    return start_clock(order=order, answers=_clean_answers(order, answers))


def start_clock(*, order: GigOrder, answers: dict[str, str]) -> GigOrder:
    now = timezone.now()
    order.answers = answers
    order.requirements_submitted_at = now
    order.due_at = now + timedelta(days=order.delivery_days)
    order.status = OrderStatus.IN_PROGRESS
    order.save(update_fields=["answers", "requirements_submitted_at", "due_at", "status"])
    close_timers(order)
    if order.milestones_agreed_at is not None:
        start_next_milestone(order)
    schedule_deadline(
        key=deadline_key(order.pk, "very-late"),
        at=order.due_at + timedelta(hours=order.policy["very_late_hours"]),
        task="gigs.very_late",
        payload={"order_id": order.pk},
    )
    events.emit("gig.requirements_submitted", event_payload(order, due_at=order.due_at.isoformat()))
    return order


def is_funded_plan(order: GigOrder) -> bool:
    """Bought from a seller's milestone offer: each milestone is its own escrow payment."""
    return bool(order.package.get("milestones"))


def funded_numbers(order: GigOrder) -> set[int]:
    """The milestones of a funded plan paid so far (the first with the order itself)."""
    return {1} | {
        int(addon.extra["number"])
        for addon in order.addons.all()
        if addon.extra.get("kind") == FUNDING and addon.order_line_id is not None
    }


def start_next_milestone(order: GigOrder) -> GigMilestone | None:
    """The first pending milestone of an agreed plan starts now (its due date from its
    days); in a funded plan only once it is funded."""
    milestone = order.milestones.filter(status=MilestoneStatus.PENDING).order_by("number").first()
    if milestone is None:
        return None
    if is_funded_plan(order) and milestone.number not in funded_numbers(order):
        return None
    now = timezone.now()
    milestone.status = MilestoneStatus.IN_PROGRESS
    milestone.started_at = now
    milestone.due_at = now + timedelta(days=milestone.days)
    milestone.save(update_fields=["status", "started_at", "due_at"])
    return milestone


def lateness(order: GigOrder, now: datetime | None = None) -> str:
    """ "on_time", "late" (past due) or "very_late" (past due by the frozen policy's hours)
    while the seller owes work; "" when the clock is not running."""
    if order.status not in WORKING or order.due_at is None:
        return ""
    now = now or timezone.now()
    if now >= order.due_at + timedelta(hours=order.policy["very_late_hours"]):
        return "very_late"
    return "late" if now >= order.due_at else "on_time"


def close_timers(order: GigOrder) -> None:
    cancel_deadline(key=_reminder_key(order))
    for timer in TIMERS:
        cancel_deadline(key=deadline_key(order.pk, timer))


def cancel_with_refund(*, order: GigOrder, reason: str) -> GigOrder:
    """Cancel an open order (locked by the caller) and give the buyer everything back from
    escrow (``refund_escrow``, idempotent by the order's reference)."""
    if order.status not in OPEN_STATUSES:
        raise wrong_state("Only an open order can be cancelled.", order.status)
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = timezone.now()
    order.cancel_reason = reason
    order.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    close_timers(order)
    from modules.gigs.services.addons import refund_addons, withdraw_unpaid
    from modules.gigs.services.milestones import funded_line_ids, refund_unreleased

    if order.milestones_agreed_at is not None and not is_funded_plan(order):
        refund_escrow(
            order_line_id=order.order_line_id,
            reference=f"gig:{order.pk}:cancel",
            amount=_unreleased_part(order),
            reason=f"Gig order cancelled: {reason.replace('_', ' ')}",
        )
    else:  # each funded line gives back what it still holds (less any part released)
        line_ids = funded_line_ids(order) if is_funded_plan(order) else [order.order_line_id]
        refund_unreleased(order, line_ids=line_ids, reason=reason)

    refund_addons(order)
    withdraw_unpaid(order)
    events.emit("gig.cancelled", event_payload(order, reason=reason))
    return order


def _unreleased_part(order: GigOrder) -> int | None:
    """What the buyer gets back: everything (None) unless milestones were paid out, then
    the line's total less the paid milestones' agreed shares."""
    paid = sum(
        order.milestones.filter(status=MilestoneStatus.COMPLETED).values_list("percent", flat=True)
    )
    if not paid:
        return None
    total = OrderLine.objects.values_list("total", flat=True).get(pk=order.order_line_id)
    return int(total - total * paid // 100)


@transaction.atomic
def cancel_very_late(*, buyer: User, order_id: int) -> GigOrder:
    order = buyers_order(buyer=buyer, order_id=order_id, lock=True)
    if lateness(order) != "very_late":
        raise GigsError(
            GigsErrorCode.NOT_VERY_LATE,
            "An order can be cancelled by its buyer once it is "
            f"{order.policy['very_late_hours']} hours past its due date.",
            details={"status": order.status, "lateness": lateness(order)},
            kind=ErrorKind.CONFLICT,
        )
    return cancel_with_refund(order=order, reason="very_late")


@transaction.atomic
def expire_requirements(*, order_id: int) -> bool:
    """No requirements after the frozen policy's days: cancelled, fully refunded."""
    order = locked(order_id)
    if order.status != OrderStatus.AWAITING_REQUIREMENTS:
        return False
    cancel_with_refund(order=order, reason="no_requirements")
    return True


@transaction.atomic
def remind_requirements(*, order_id: int, due_at: datetime) -> bool:
    """Remind the buyer (the reminder was due at ``due_at``), and schedule the next one from
    then while the order still waits and the auto-cancel is not sooner."""
    order = locked(order_id)
    if order.status != OrderStatus.AWAITING_REQUIREMENTS:
        return False
    order.requirements_reminders += 1
    order.save(update_fields=["requirements_reminders"])
    events.emit(
        "gig.requirements_needed", event_payload(order, reminder=order.requirements_reminders)
    )
    expires_at = order.created_at + timedelta(days=order.policy["requirements_cancel_days"])
    next_at = due_at + timedelta(hours=order.policy["requirements_reminder_hours"])
    if next_at < expires_at:
        _schedule_requirements_reminder(order, due_at)
    return True


@transaction.atomic
def tell_very_late(*, order_id: int, at: datetime) -> bool:
    """The order is very late at ``at`` (the deadline's time) and the seller still owes the
    work: the buyer may now cancel with a full refund (told through the outbox; the seller
    hears it by webhook)."""
    order = locked(order_id)
    if lateness(order, max(at, timezone.now())) != "very_late" or order.due_at is None:
        return False
    events.emit("gig.very_late", event_payload(order, due_at=order.due_at.isoformat()))
    return True


@transaction.atomic
def line_refunded(*, line_id: int) -> None:
    """The revoke hook: the line was refunded in full elsewhere (an operator, a dispute):
    an open order is cancelled without a second refund of it (its paid add-ons are
    refunded with it)."""
    order = GigOrder.objects.select_for_update().filter(order_line_id=line_id).first()
    if order is None or order.status in (OrderStatus.CANCELLED, OrderStatus.COMPLETED):
        return
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = timezone.now()
    order.cancel_reason = "refunded"
    order.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    close_timers(order)
    from modules.gigs.services.addons import refund_addons, withdraw_unpaid
    from modules.gigs.services.milestones import funded_line_ids, refund_unreleased

    if is_funded_plan(order):  # its other funded milestones go back with it
        others = [pk for pk in funded_line_ids(order) if pk != order.order_line_id]
        refund_unreleased(order, line_ids=others, reason="refunded")
    refund_addons(order)  # its add-ons go back with it
    withdraw_unpaid(order)
    events.emit("gig.cancelled", event_payload(order, reason="refunded"))
