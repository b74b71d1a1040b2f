"""What the seller sees of a digital product's downloads: counts per version and per day
(the last 30 days, in UTC), the number of buyers who downloaded, and the log itself (time,
buyer e-mail, IP, user agent, version), newest first, a page at a time. Every download
handed out is counted here, including those a limit reset later forgave."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from modules.digital.models import Download
from modules.digital.services.products import catalogue_product

DAYS = 30
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class VersionCount:
    file_id: int
    file_title: str
    version_id: int
    number: int
    downloads: int


@dataclass(frozen=True)
class DayCount:
    day: date
    downloads: int


@dataclass(frozen=True)
class Stats:
    total: int
    unique_buyers: int
    per_version: list[VersionCount]
    per_day: list[DayCount]  # oldest first, every day of the window (zeros included)


@dataclass(frozen=True)
class LogRow:
    id: int
    at: datetime
    buyer_email: str
    ip: str | None
    user_agent: str
    file_title: str
    version_number: int
    order_id: int


@dataclass(frozen=True)
class LogPage:
    rows: list[LogRow]
    next_before: int | None  # pass as ``before`` for the next (older) page


def _downloads(product_id: int) -> QuerySet[Download]:
    return Download.objects.filter(entitlement__product__product_id=product_id)


def product_stats(*, seller_id: int, product_id: int, days: int = DAYS) -> Stats:
    product = catalogue_product(seller_id=seller_id, product_id=product_id)
    downloads = _downloads(product.pk)
    totals = downloads.aggregate(
        total=Count("id"), buyers=Count("entitlement__buyer_id", distinct=True)
    )
    per_version = [
        VersionCount(
            file_id=row["version__file_id"],
            file_title=row["version__file__title"],
            version_id=row["version_id"],
            number=row["version__number"],
            downloads=row["n"],
        )
        for row in downloads.values(
            "version_id", "version__number", "version__file_id", "version__file__title"
        )
        .annotate(n=Count("id"))
        .order_by("version__file__position", "version__file_id", "-version__number")
    ]
    today = timezone.now().astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    by_day = {
        row["day"]: row["n"]
        for row in downloads.filter(at__gte=datetime.combine(first, time(), tzinfo=UTC))
        .annotate(day=TruncDate("at", tzinfo=UTC))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    }
    per_day = [
        DayCount(
            day=first + timedelta(days=offset),
            downloads=by_day.get(first + timedelta(days=offset), 0),
        )
        for offset in range(days)
    ]
    return Stats(
        total=totals["total"],
        unique_buyers=totals["buyers"],
        per_version=per_version,
        per_day=per_day,
    )


def download_log(
    *, seller_id: int, product_id: int, before: int | None = None, limit: int = PAGE_SIZE
) -> LogPage:
    """A page of the product's download log, newest first; ``before`` is the id the
    previous page gave as ``next_before``."""
    product = catalogue_product(seller_id=seller_id, product_id=product_id)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    rows = _downloads(product.pk).select_related(
        "entitlement__buyer", "entitlement__order_line", "version__file"
    )
    if before is not None:
        rows = rows.filter(id__lt=before)
    found = list(rows.order_by("-id")[: limit + 1])
    page = [
        LogRow(
            id=row.pk,
            at=row.at,
            buyer_email=row.entitlement.buyer.email,
            ip=row.ip,
            user_agent=row.user_agent,
            file_title=row.version.file.title,
            version_number=row.version.number,
            order_id=row.entitlement.order_line.order_id,
        )
        for row in found[:limit]
    ]
    return LogPage(rows=page, next_before=page[-1].id if len(found) > limit else None)
