"""Course memberships ("passes"): a product of type ``coursepass`` sold at recurring prices
that enrols its subscribers in the included courses of its seller (every course, present and
future, or the chosen ones).

- The fulfil hook enrols the buyer of a paid pass line (the first checkout and every renewal)
  in each included course they are not on yet: a renewal picks up courses added since, a
  live enrolment is kept as it is, a closed one is reopened with its progress.
- The revoke hook (a refund) closes the line's enrolments; ``subscription.cancelled`` closes
  the pass's enrolments of that buyer unless they hold another live subscription to it.
- A seller's change of the included courses reaches live subscribers at once.

A course bought outright is never closed by a membership: its enrolment has no ``via_pass``.
Every step works on whole sets (a constant number of queries however many courses)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.catalog.models import Product, ProductStatus
from core.commerce.models import Interval, OrderLine, RecurringPrice
from core.sellers.models import Seller
from core.subscriptions.models import Subscription, SubscriptionOrder, SubscriptionStatus
from core.subscriptions.services.recurring_prices import (
    RecurringPriceData,
    create_recurring_price,
    set_recurring_price_active,
)
from modules.courses.errors import CourseErrorCode, invalid, not_found
from modules.courses.manifest import COURSE_PASS
from modules.courses.models import Course, CoursePass, Enrolment, PassCourse

MEMBERSHIP_ENDED = "Your membership ended."
MEMBERSHIP_REFUNDED = "Your membership was refunded."
NO_LONGER_INCLUDED = "No longer included in your membership."
MAX_COURSES = 500


@dataclass(frozen=True)
class PassContents:
    includes_all: bool
    course_ids: tuple[int, ...] = ()


def included_courses(course_pass: CoursePass) -> QuerySet[Course]:
    """The courses a subscriber of the pass is enrolled in: published ones only (a draft is
    not shown to members before the marketplace approved it; an archived one is gone)."""
    courses = Course.objects.filter(product__status=ProductStatus.PUBLISHED)
    if course_pass.includes_all:
        return courses.filter(product__seller_id=course_pass.product.seller_id)
    return courses.filter(passes=course_pass)


def pass_of_seller(*, seller_id: int, product_id: int) -> CoursePass:
    """The seller's pass (made empty on first sight of a pass product); another seller's is
    not found."""
    product, course_pass = _pass_of_seller(seller_id=seller_id, product_id=product_id)
    if course_pass is None:
        course_pass, _ = CoursePass.objects.get_or_create(product=product)
    return course_pass


def live_subscriber_count(product_id: int) -> int:
    return _live_subscriptions(product_id).values("buyer_id").distinct().count()


def _pass_of_seller(*, seller_id: int, product_id: int) -> tuple[Product, CoursePass | None]:
    product = Product.objects.filter(
        pk=product_id, seller_id=seller_id, product_type=COURSE_PASS
    ).first()
    if product is None:  # another seller's pass does not exist for you
        raise not_found("No such membership.")
    return product, CoursePass.objects.filter(product=product).first()


def _check_courses(*, seller_id: int, course_ids: Iterable[int]) -> list[int]:
    wanted = sorted(set(course_ids))
    if len(wanted) > MAX_COURSES:
        raise invalid(CourseErrorCode.INVALID_PASS, "course_ids", f"At most {MAX_COURSES} courses.")
    found = set(
        Course.objects.filter(pk__in=wanted, product__seller_id=seller_id).values_list(
            "pk", flat=True
        )
    )
    if len(found) != len(wanted):
        raise invalid(
            CourseErrorCode.INVALID_PASS, "course_ids", "Choose only courses of your own."
        )
    return wanted


@transaction.atomic
def save_pass(
    *, seller_id: int, product_id: int, contents: PassContents, now: datetime | None = None
) -> CoursePass:
    """Set what the seller's pass includes; live subscribers follow at once (newly included
    courses enrol them, removed ones close what came through this pass). A course of another
    seller is a field error and nothing is written."""
    product, course_pass = _pass_of_seller(seller_id=seller_id, product_id=product_id)
    chosen = (
        []
        if contents.includes_all
        else _check_courses(seller_id=seller_id, course_ids=contents.course_ids)
    )
    if course_pass is None:
        course_pass = CoursePass.objects.create(product=product)
        before: set[int] = set()
    else:
        course_pass = CoursePass.objects.select_for_update().get(pk=course_pass.pk)
        before = set(included_courses(course_pass).values_list("pk", flat=True))
    course_pass.includes_all = contents.includes_all
    course_pass.save(update_fields=["includes_all", "updated_at"])
    PassCourse.objects.filter(course_pass=course_pass).exclude(course_id__in=chosen).delete()
    kept = set(
        PassCourse.objects.filter(course_pass=course_pass).values_list("course_id", flat=True)
    )
    PassCourse.objects.bulk_create(
        [PassCourse(course_pass=course_pass, course_id=cid) for cid in chosen if cid not in kept]
    )
    after = set(included_courses(course_pass).values_list("pk", flat=True))
    _sync_subscribers(
        course_pass=course_pass,
        added=after - before,
        removed=before - after,
        now=now or timezone.now(),
    )
    return course_pass


def course_added(*, course: Course, now: datetime | None = None) -> None:
    """A seller's new (published) course: the passes that include all their courses enrol
    their live subscribers now (renewals would too, later)."""
    if course.product.status != ProductStatus.PUBLISHED:
        return
    for course_pass in CoursePass.objects.filter(
        includes_all=True, product__seller_id=course.product.seller_id
    ).select_related("product"):
        _sync_subscribers(
            course_pass=course_pass, added={course.pk}, removed=set(), now=now or timezone.now()
        )


def _live_subscriptions(product_id: int) -> QuerySet[Subscription]:
    return Subscription.objects.filter(product_id=product_id).exclude(
        status=SubscriptionStatus.CANCELLED
    )


def _sync_subscribers(
    *, course_pass: CoursePass, added: set[int], removed: set[int], now: datetime
) -> None:
    if removed:
        Enrolment.objects.filter(
            via_pass=course_pass, course_id__in=removed, revoked_at__isnull=True
        ).update(revoked_at=now, revoked_reason=NO_LONGER_INCLUDED)
    if not added:
        return
    for buyer_id, line_id in (
        _live_subscriptions(course_pass.product_id)
        .order_by("buyer_id", "-current_period_start")
        .distinct("buyer_id")
        .values_list("buyer_id", "first_order_line_id")
    ):
        _enrol(
            course_pass=course_pass, buyer_id=buyer_id, line_id=line_id, course_ids=added, now=now
        )


def _enrol(
    *,
    course_pass: CoursePass,
    buyer_id: int,
    line_id: int | None,
    course_ids: Iterable[int],
    now: datetime,
) -> list[Enrolment]:
    """Open the buyer's place on each course (a fixed number of queries for any number): a
    live enrolment stays as it is, their latest closed one is reopened through this pass, the
    others are created."""
    wanted = set(course_ids)
    if not wanted:
        return []
    mine = list(
        Enrolment.objects.select_for_update()
        .filter(buyer_id=buyer_id, course_id__in=wanted)
        .order_by("course_id", "-revoked_at", "-id")
    )
    live = {e.course_id: e for e in mine if e.revoked_at is None}
    reopen: dict[int, Enrolment] = {}
    for enrolment in mine:  # newest closed first within each course
        if enrolment.course_id not in live and enrolment.course_id not in reopen:
            reopen[enrolment.course_id] = enrolment
    if reopen:
        Enrolment.objects.filter(pk__in=[e.pk for e in reopen.values()]).update(
            revoked_at=None, revoked_reason="", order_line_id=line_id, via_pass=course_pass
        )
    created = Enrolment.objects.bulk_create(
        [
            Enrolment(
                course_id=course_id,
                buyer_id=buyer_id,
                order_line_id=line_id,
                via_pass=course_pass,
                enrolled_at=now,
            )
            for course_id in sorted(wanted - live.keys() - reopen.keys())
        ]
    )
    return [*live.values(), *reopen.values(), *created]


def enrol_for_pass_line(*, line: OrderLine, now: datetime | None = None) -> int | None:
    """The fulfil hook's work for a paid pass line (idempotent; a renewal's line enrols in
    courses added since): how many places the buyer holds through it; None when the line's
    product is not a pass."""
    course_pass = (
        CoursePass.objects.filter(product_id=line.product_id).select_related("product").first()
    )
    if course_pass is None:
        return None
    included = set(included_courses(course_pass).values_list("pk", flat=True))
    with transaction.atomic():
        opened = _enrol(
            course_pass=course_pass,
            buyer_id=line.order.buyer_id,
            line_id=line.pk,
            course_ids=included,
            now=now or timezone.now(),
        )
    return len(opened)


def revoke_for_pass_line(*, line: OrderLine, reason: str, now: datetime | None = None) -> int:
    """The revoke hook's work for a refunded pass line: its places close, unless the buyer
    holds another live subscription to the pass, whose first line then carries them."""
    owner_ids = set(
        Subscription.objects.filter(first_order_line_id=line.pk).values_list("pk", flat=True)
    ) | set(
        SubscriptionOrder.objects.filter(order_id=line.order_id).values_list(
            "subscription_id", flat=True
        )
    )
    other = (
        _live_subscriptions(line.product_id)
        .filter(buyer_id=line.order.buyer_id)
        .exclude(pk__in=owner_ids)
        .order_by("-current_period_end", "-pk")
        .first()
    )
    places = Enrolment.objects.filter(order_line_id=line.pk, revoked_at__isnull=True)
    if other is not None:
        places.update(order_line_id=other.first_order_line_id)
        return 0
    return places.update(revoked_at=now or timezone.now(), revoked_reason=reason[:200])


def end_for_subscription(
    *,
    subscription_id: int,
    buyer_id: int,
    product_id: int,
    reason: str,
    now: datetime | None = None,
) -> int:
    """``subscription.cancelled``: the buyer's places that came through the pass close, unless
    they hold another live subscription to it; courses bought outright stay. Idempotent."""
    course_pass = CoursePass.objects.filter(product_id=product_id).first()
    if course_pass is None:
        return 0
    others = _live_subscriptions(product_id).filter(buyer_id=buyer_id).exclude(pk=subscription_id)
    if others.exists():
        return 0
    return Enrolment.objects.filter(
        via_pass=course_pass, buyer_id=buyer_id, revoked_at__isnull=True
    ).update(
        revoked_at=now or timezone.now(),
        revoked_reason=MEMBERSHIP_REFUNDED if reason == "refunded" else MEMBERSHIP_ENDED,
    )


# --- plans ---------------------------------------------------------------------------------------


def set_plan(
    *, seller: Seller, product_id: int, interval: str, amount: int, currency: str
) -> RecurringPrice:
    """The pass's price per month or year (through core's recurring prices). A price in use
    is never changed: a new amount is a new price, and the old one is retired (its
    subscribers keep renewing at it). The same amount again changes nothing."""
    _pass_of_seller(seller_id=seller.pk, product_id=product_id)
    if interval not in (Interval.MONTH, Interval.YEAR):
        raise invalid(CourseErrorCode.INVALID_PASS, "interval", "Bill monthly or yearly.")
    current = RecurringPrice.objects.filter(
        product_id=product_id,
        variant__isnull=True,
        interval=interval,
        interval_count=1,
        currency=currency.strip().upper(),
        is_active=True,
    ).first()
    if current is not None and current.amount == amount:
        return current
    with transaction.atomic():
        price = create_recurring_price(
            seller=seller,
            data=RecurringPriceData(
                product_id=product_id, interval=interval, currency=currency, amount=amount
            ),
        )
        if current is not None:
            set_recurring_price_active(price=current, is_active=False)
    return price


def retire_plan(*, seller: Seller, product_id: int, interval: str) -> int:
    """Stop selling the pass per ``interval``; subscribers keep renewing."""
    _pass_of_seller(seller_id=seller.pk, product_id=product_id)
    return RecurringPrice.objects.filter(
        product_id=product_id, interval=interval, is_active=True
    ).update(is_active=False)


def active_plans(product_id: int) -> list[RecurringPrice]:
    return list(
        RecurringPrice.objects.filter(product_id=product_id, is_active=True).order_by(
            "interval", "interval_count", "amount", "id"
        )
    )
