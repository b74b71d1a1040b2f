"""Booking and reading the double-entry journal. ``post_entry`` is the only writer of journal
rows: it refuses an unbalanced entry before the database would, and books each
``(kind, reference)`` at most once, so retried tasks and replayed webhooks are harmless.

Amounts are signed minor units, debit positive. Accounts are named strings:

``provider_cash``              what the payment provider holds for the platform (asset)
``buyer_clearing:<order>``     paid by the buyer, not yet earned by anyone
``tax_payable``                tax collected, owed to authorities
``platform_fees``              the marketplace's commission (revenue)
``seller_payable:<seller>``    owed to a seller, paid out by payouts
``escrow:<line>``              a service line's seller share, held until its module releases it
``payouts_in_transit:<seller>`` paid out, not yet confirmed by the provider
``dispute_hold:<dispute>``     a seller's payable frozen while a dispute on its line is open
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from core.errors import ErrorKind
from core.money import Money
from core.payments.errors import PaymentError, PaymentErrorCode
from core.payments.models import EntryKind, JournalEntry, JournalLine

PROVIDER_CASH = "provider_cash"
TAX_PAYABLE = "tax_payable"
PLATFORM_FEES = "platform_fees"


def buyer_clearing(order_id: int) -> str:
    return f"buyer_clearing:{order_id}"


def seller_payable(seller_id: int) -> str:
    return f"seller_payable:{seller_id}"


def escrow(order_line_id: int) -> str:
    return f"escrow:{order_line_id}"


def payouts_in_transit(seller_id: int) -> str:
    return f"payouts_in_transit:{seller_id}"


def dispute_hold(dispute_id: int) -> str:
    return f"dispute_hold:{dispute_id}"


@dataclass(frozen=True)
class Posting:
    account: str
    amount: Money  # debit positive, credit negative
    seller_id: int | None = None


def debit(account: str, amount: Money, seller_id: int | None = None) -> Posting:
    return Posting(account, amount, seller_id)


def credit(account: str, amount: Money, seller_id: int | None = None) -> Posting:
    return Posting(account, -amount, seller_id)


def post_entry(
    *,
    kind: EntryKind,
    reference: str,
    postings: Iterable[Posting],
    order_id: int | None = None,
    memo: str = "",
) -> JournalEntry | None:
    """Book an entry; None when ``(kind, reference)`` was booked before (nothing written).
    Zero postings are dropped; an entry left with no postings writes nothing either."""
    lines = [posting for posting in postings if posting.amount.amount != 0]
    totals: dict[str, int] = defaultdict(int)
    for posting in lines:
        totals[posting.amount.currency] += posting.amount.amount
    unbalanced = {currency: total for currency, total in totals.items() if total}
    if unbalanced:
        raise PaymentError(
            PaymentErrorCode.UNBALANCED_ENTRY,
            f"An entry must balance per currency; {kind}:{reference} is off by {unbalanced}.",
            kind=ErrorKind.INTERNAL,
        )
    if not lines:
        return None
    # No savepoint: the entry and its lines stand or fall with the caller's transaction.
    with transaction.atomic(savepoint=False):
        entry_id = _insert_entry_once(kind, reference, order_id, memo)
        if entry_id is None:
            return None
        JournalLine.objects.bulk_create(
            JournalLine(
                entry_id=entry_id,
                account=posting.account,
                seller_id=posting.seller_id,
                currency=posting.amount.currency,
                amount=posting.amount.amount,
            )
            for posting in lines
        )
    return JournalEntry(id=entry_id, kind=kind, reference=reference, order_id=order_id)


def _insert_entry_once(
    kind: EntryKind, reference: str, order_id: int | None, memo: str
) -> int | None:
    """One statement, no savepoint: a concurrent booking of the same event waits on the
    unique index and then finds the row there. Dated by the application's clock, like the
    orders it books (so a test's or the demo's clock dates both alike)."""
    table = JournalEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (kind, reference, order_id, memo, created_at) "
            "VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (kind, reference) DO NOTHING RETURNING id",
            [str(kind), reference, order_id, memo, timezone.now()],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def is_booked(kind: EntryKind, reference: str) -> bool:
    return JournalEntry.objects.filter(kind=kind, reference=reference).exists()


def balance(account: str, currency: str) -> Money:
    """The account's debit balance (negative: the account owes, e.g. a seller's payable)."""
    total = JournalLine.objects.filter(account=account, currency=currency).aggregate(
        total=Sum("amount")
    )["total"]
    return Money(int(total or 0), currency)


def seller_balances(seller_id: int) -> dict[str, dict[str, int]]:
    """What the marketplace owes a seller, per account kind and currency, as positive
    amounts: ``{"available": {"USD": 1200}, "escrow": {...}, "in_transit": {...}}``."""
    rows = (
        JournalLine.objects.filter(seller_id=seller_id)
        .values("account", "currency")
        .annotate(total=Sum("amount"))
    )
    result: dict[str, dict[str, int]] = {"available": {}, "escrow": {}, "in_transit": {}}
    for row in rows:
        kind = row["account"].split(":", 1)[0]
        bucket = {
            "seller_payable": "available",
            "escrow": "escrow",
            "dispute_hold": "escrow",
            "payouts_in_transit": "in_transit",
        }.get(kind)
        if bucket is None:
            continue
        owed = -int(row["total"])
        result[bucket][row["currency"]] = result[bucket].get(row["currency"], 0) + owed
    return result
