"""Reads of the studio's customers and payouts pages.

A seller's customers are the buyers with at least one paid sub-order of theirs (awaiting
payment and cancelled ones do not count). A page of customers costs a fixed number of
queries: the page of buyer ids (with order counts and dates), then one query each for the
people, the money, what they bought by product type, their subscriptions and the notes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.accounts.models import User
from core.commerce.models import LineStatus, OrderLine, OrderStatus, SubOrder
from core.money import Money
from core.payments import ledger
from core.payments.models import JournalLine
from core.registry import get_registry
from core.sellers.models import Seller
from core.studio.models import CustomerNote
from core.subscriptions.models import Subscription, SubscriptionStatus

UNPAID = (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED)
LIVE_SUBSCRIPTION = (
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
)
# Lines that still give the buyer something (a fully refunded line is revoked).
HELD_LINE = ~Q(status__in=(LineStatus.REVOKED, LineStatus.CANCELLED))


def paid_sub_orders(seller: Seller) -> QuerySet[SubOrder]:
    return SubOrder.objects.filter(seller=seller).exclude(status__in=UNPAID)


def is_customer_of(seller: Seller, buyer_id: int) -> bool:
    return paid_sub_orders(seller).filter(order__buyer_id=buyer_id).exists()


@dataclass(frozen=True)
class CustomerRow:
    buyer_id: int
    order_count: int
    first_order_at: datetime
    last_order_at: datetime


def customer_rows(seller: Seller, *, search: str = "") -> QuerySet[Any, Any]:
    """One row per customer (``buyer``, ``order_count``, ``first_order_at``,
    ``last_order_at``; ``as_rows`` reads them), the most recent buyer first."""
    rows = paid_sub_orders(seller)
    if search:
        rows = rows.filter(
            Q(order__buyer__email__icontains=search) | Q(order__buyer__full_name__icontains=search)
        )
    return (
        rows.values(buyer=F("order__buyer_id"))
        .annotate(
            order_count=Count("id"),
            first_order_at=Min("order__created_at"),
            last_order_at=Max("order__created_at"),
        )
        .order_by("-last_order_at", "-buyer")
    )


def as_rows(values: Iterable[dict[str, Any]]) -> list[CustomerRow]:
    return [
        CustomerRow(
            buyer_id=int(value["buyer"]),
            order_count=int(value["order_count"]),
            first_order_at=value["first_order_at"],
            last_order_at=value["last_order_at"],
        )
        for value in values
    ]


@dataclass
class Customer:
    user: User
    order_count: int
    first_order_at: datetime
    last_order_at: datetime
    # Paid with the seller, refunds taken off, per currency (exact minor units).
    lifetime_value: list[Money] = field(default_factory=list)
    # (product type label, items still held), e.g. ("Software licence", 2).
    bought: list[tuple[str, int]] = field(default_factory=list)
    live_subscriptions: int = 0
    note: CustomerNote | None = None


def customers(seller: Seller, rows: list[CustomerRow]) -> list[Customer]:
    """The customers of ``rows`` (a page of ``customer_rows``) with their figures."""
    ids = [row.buyer_id for row in rows]
    if not ids:
        return []
    people = User.objects.in_bulk(ids)
    lines = OrderLine.objects.filter(sub_order__seller=seller, order__buyer_id__in=ids).exclude(
        sub_order__status__in=UNPAID
    )
    value: dict[int, list[Money]] = defaultdict(list)
    for paid in (
        lines.values("order__buyer_id", "order__currency")
        .annotate(total=Sum(F("total") - F("refunded_amount")))
        .order_by("order__buyer_id", "order__currency")
    ):
        value[paid["order__buyer_id"]].append(Money(int(paid["total"]), paid["order__currency"]))
    registry = get_registry()
    bought: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for held in (
        lines.filter(HELD_LINE)
        .values("order__buyer_id", "product_type")
        .annotate(items=Sum("quantity"))
        .order_by("order__buyer_id", "product_type")
    ):
        label = registry.product_type_label(held["product_type"])
        bought[held["order__buyer_id"]].append((label, int(held["items"])))
    subscriptions = dict(
        Subscription.objects.filter(seller=seller, buyer_id__in=ids, status__in=LIVE_SUBSCRIPTION)
        .values("buyer_id")
        .annotate(count=Count("id"))
        .values_list("buyer_id", "count")
    )
    notes = {
        note.buyer_id: note for note in CustomerNote.objects.filter(seller=seller, buyer_id__in=ids)
    }
    found = []
    for row in rows:
        buyer_id = row.buyer_id
        found.append(
            Customer(
                user=people[buyer_id],
                order_count=row.order_count,
                first_order_at=row.first_order_at,
                last_order_at=row.last_order_at,
                lifetime_value=value[buyer_id],
                bought=bought[buyer_id],
                live_subscriptions=int(subscriptions.get(buyer_id, 0)),
                note=notes.get(buyer_id),
            )
        )
    return found


def customer(seller: Seller, buyer_id: int) -> Customer | None:
    rows = as_rows(customer_rows(seller).filter(order__buyer_id=buyer_id))
    found = customers(seller, rows)
    return found[0] if found else None


def customer_sub_orders(seller: Seller, buyer_id: int) -> QuerySet[SubOrder]:
    return (
        SubOrder.objects.filter(seller=seller, order__buyer_id=buyer_id)
        .select_related("order")
        .annotate(line_count=Count("lines"))
        .order_by("-id")
    )


def customer_subscriptions(seller: Seller, buyer_id: int) -> QuerySet[Subscription]:
    return (
        Subscription.objects.filter(seller=seller, buyer_id=buyer_id)
        .select_related("product", "recurring_price")
        .order_by("-id")
    )


# --- payouts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BalancePoint:
    day: date
    amount: int


def available_balance_by_day(seller: Seller, currency: str, *, days: int) -> list[BalancePoint]:
    """The seller's available balance (what the ledger owes them, ``seller_payable``) at the
    end of each of the last ``days`` days: the balance before the window, then each day's
    movements added up. Two queries on the ledger's seller index."""
    end = timezone.localdate()
    start = end - timedelta(days=days - 1)
    postings = JournalLine.objects.filter(
        seller_id=seller.pk, account=ledger.seller_payable(seller.pk), currency=currency
    )
    opening = postings.filter(entry__created_at__date__lt=start).aggregate(total=Sum("amount"))
    running = -int(opening["total"] or 0)
    moved = dict(
        postings.filter(entry__created_at__date__gte=start)
        .annotate(day=TruncDate("entry__created_at"))
        .values("day")
        .annotate(total=Sum("amount"))
        .values_list("day", "total")
    )
    points = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        running -= int(moved.get(day, 0))
        points.append(BalancePoint(day, running))
    return points
