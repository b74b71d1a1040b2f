"""What a seller's own systems do through the partner API: list and set up software products,
fulfil orders by hand, report metered usage, read metrics and the integration's health (core's
figures plus the accounts waiting for the seller). Webhook endpoints and the signing secret
are core/integrations'.

Everything is scoped to the seller the API key belongs to: another seller's product, order,
licence or delivery is not found (404), exactly like one that does not exist."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from core.catalog.models import Product
from core.catalog.services.products import (
    ProductData,
    create_product,
    reprice,
    transition,
    update_product,
)
from core.commerce.errors import CommerceError, CommerceErrorCode
from core.commerce.models import RefundLine, SubOrder
from core.errors import ErrorKind
from core.integrations import selectors as integrations
from core.integrations import ssrf
from core.sellers.models import Seller
from modules.licensing.errors import LicensingError, LicensingErrorCode
from modules.licensing.keys import normalise_key
from modules.licensing.models import (
    License,
    LicenseStatus,
    Machine,
    ProvisionedAccount,
    ProvisioningStatus,
    UsageEvent,
)
from modules.licensing.selectors import license_not_found
from modules.licensing.services import provisioning, software

SOFTWARE = "software"
METRIC = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,59}$")
MAX_QUANTITY = 10**12
FUTURE_SKEW = timedelta(minutes=5)
MAX_METRICS_SPAN = timedelta(days=366)


# --- products --------------------------------------------------------------------------------


def check_integration_urls(data: software.SoftwareData) -> None:
    """Provisioning endpoints go through the SSRF guard when they are set (and again on
    every call)."""
    for field in ("provisioning_url", "deprovisioning_url"):
        url = getattr(data, field).strip()
        if url:
            ssrf.check_url(url, field=f"software.{field}")


@transaction.atomic
def create_software_product(
    *,
    seller: Seller,
    data: ProductData,
    software_data: software.SoftwareData,
    policy: software.PolicyData | None,
    submit_for_review: bool,
) -> Product:
    """A software product with its licensing set-up and default policy, in one go."""
    check_integration_urls(software_data)
    data.product_type = SOFTWARE
    product = create_product(seller=seller, data=data)
    software.set_up_software(product=product, data=software_data)
    if policy is not None:
        software.create_policy(product=product, data=policy, is_default=True)
    else:
        software.default_policy_for(product=product)
    if submit_for_review:
        transition(product=product, action="publish")
    return product


@transaction.atomic
def update_software_product(
    *,
    product: Product,
    data: ProductData,
    software_data: software.SoftwareData,
    policy: software.PolicyData | None,
    submit_for_review: bool,
) -> Product:
    """Replace the product's content (a published product goes back to review, as in the
    catalogue), its licensing set-up and, when given, its default policy."""
    check_integration_urls(software_data)
    data.product_type = SOFTWARE
    update_product(product=product, data=data)
    software.set_up_software(product=product, data=software_data)
    if policy is not None:
        current = software.default_policy_for(product=product)
        software.update_policy(policy=current, data=policy, is_default=True)
    if submit_for_review and product.status in ("draft", "rejected"):
        transition(product=product, action="publish")
    return product


def reprice_software(*, product: Product, prices: dict[str, int]) -> Product:
    return reprice(product=product, prices=prices)


# --- orders ----------------------------------------------------------------------------------


def sellers_sub_order(*, seller: Seller, sub_order_id: int) -> SubOrder:
    sub_order = SubOrder.objects.filter(pk=sub_order_id, seller=seller).first()
    if sub_order is None:
        raise CommerceError(
            CommerceErrorCode.ORDER_NOT_FOUND, "No such order.", kind=ErrorKind.NOT_FOUND
        )
    return sub_order


@dataclass(frozen=True)
class ManualAccount:
    license_id: int
    external_account_id: str
    credentials: dict[str, str]


@transaction.atomic
def fulfil_by_hand(
    *, seller: Seller, sub_order: SubOrder, accounts: list[ManualAccount]
) -> list[ProvisionedAccount]:
    """Record the accounts the seller made by hand for licences of the sub-order; each buyer
    is told. All or nothing."""
    wanted = [account.license_id for account in accounts]
    licenses = {
        license.pk: license
        for license in License.objects.filter(
            pk__in=wanted, seller=seller, order_line__sub_order=sub_order
        )
    }
    recorded = []
    for account in accounts:
        license = licenses.get(account.license_id)
        if license is None:
            raise LicensingError(
                LicensingErrorCode.LICENSE_NOT_FOUND,
                f"Licence {account.license_id} is not part of this order.",
                details={"field": "accounts.license_id", "license_id": account.license_id},
                kind=ErrorKind.NOT_FOUND,
            )
        recorded.append(
            provisioning.record_manual_account(
                license=license,
                external_account_id=account.external_account_id,
                credentials=account.credentials,
            )
        )
    return recorded


# --- usage -----------------------------------------------------------------------------------


def sellers_license_by(
    *, seller: Seller, license_id: int | None = None, license_key: str | None = None
) -> License:
    if (license_id is None) == (license_key is None):
        raise LicensingError(
            LicensingErrorCode.INVALID_USAGE,
            "Name the licence by license_id or license_key (one of them).",
            details={"field": "license_key"},
            kind=ErrorKind.INVALID,
        )
    queryset = License.objects.filter(seller=seller)
    if license_id is not None:
        license = queryset.filter(pk=license_id).first()
    else:
        key = normalise_key(license_key or "")
        license = queryset.filter(key=key).first() if key else None
    if license is None:
        raise license_not_found()
    return license


def _usage_error(field: str, message: str) -> LicensingError:
    return LicensingError(
        LicensingErrorCode.INVALID_USAGE, message, details={"field": field}, kind=ErrorKind.INVALID
    )


@dataclass(frozen=True)
class RecordedUsage:
    event: UsageEvent
    is_duplicate: bool


def record_usage(
    *,
    license: License,
    event_id: str,
    metric: str,
    quantity: int,
    occurred_at: datetime | None,
) -> RecordedUsage:
    """One metered event, once per (licence, event id): the same event again answers the
    first one; the same id with other content is refused (409)."""
    event_id = event_id.strip()
    metric = metric.strip().lower()
    if not 1 <= len(event_id) <= 100:
        raise _usage_error("event_id", "Event ids are 1-100 characters.")
    if not METRIC.match(metric):
        raise _usage_error(
            "metric", "Metrics are 1-60 lower-case letters, digits, '_', '.', ':' or '-'."
        )
    if not 1 <= quantity <= MAX_QUANTITY:
        raise _usage_error("quantity", "Quantities are 1 to 10^12.")
    now = timezone.now()
    if occurred_at is not None and timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at, UTC)
    if occurred_at is not None and occurred_at > now + FUTURE_SKEW:
        raise _usage_error("occurred_at", "Usage cannot be reported for the future.")
    existing = UsageEvent.objects.filter(license=license, event_id=event_id).first()
    if existing is None:
        try:
            with transaction.atomic():
                created = UsageEvent.objects.create(
                    license=license,
                    event_id=event_id,
                    metric=metric,
                    quantity=quantity,
                    occurred_at=occurred_at or now,
                )
            return RecordedUsage(created, is_duplicate=False)
        except IntegrityError:  # the same event, reported concurrently
            existing = UsageEvent.objects.get(license=license, event_id=event_id)
    is_same = (
        existing.metric == metric
        and existing.quantity == quantity
        and (occurred_at is None or existing.occurred_at == occurred_at)
    )
    if not is_same:
        raise LicensingError(
            LicensingErrorCode.INVALID_USAGE,
            f"Event {event_id!r} was reported before with other content.",
            details={"field": "event_id", "event_id": event_id},
            kind=ErrorKind.CONFLICT,
        )
    return RecordedUsage(existing, is_duplicate=True)


# --- metrics and health ----------------------------------------------------------------------


def _aware(moment: datetime) -> datetime:
    return timezone.make_aware(moment, UTC) if timezone.is_naive(moment) else moment


def metrics(*, seller: Seller, date_from: datetime, date_to: datetime) -> dict[str, Any]:
    """Orders, revenue, licences, activations and usage of the seller in [from, to)."""
    date_from, date_to = _aware(date_from), _aware(date_to)
    if date_from >= date_to:
        raise LicensingError(
            LicensingErrorCode.INVALID_USAGE,
            "'from' must be before 'to'.",
            details={"field": "from"},
            kind=ErrorKind.INVALID,
        )
    if date_to - date_from > MAX_METRICS_SPAN:
        raise LicensingError(
            LicensingErrorCode.INVALID_USAGE,
            "A time frame is at most 366 days.",
            details={"field": "to"},
            kind=ErrorKind.INVALID,
        )
    window = {"order__paid_at__gte": date_from, "order__paid_at__lt": date_to}
    revenue: dict[str, dict[str, Any]] = {
        row["order__currency"]: dict(row)
        for row in SubOrder.objects.filter(seller=seller, **window)
        .values("order__currency")
        .annotate(orders=Count("id"), gross=Sum("total"), seller_net=Sum("seller_net"))
    }
    refunds = dict(
        RefundLine.objects.filter(
            order_line__sub_order__seller=seller,
            refund__created_at__gte=date_from,
            refund__created_at__lt=date_to,
        )
        .values("refund__currency")
        .annotate(total=Sum("amount"))
        .values_list("refund__currency", "total")
    )
    licenses = License.objects.filter(seller=seller)
    license_counts = licenses.aggregate(
        issued=Count("id", filter=Q(created_at__gte=date_from, created_at__lt=date_to)),
        active=Count("id", filter=Q(status=LicenseStatus.ACTIVE)),
    )
    machines = Machine.objects.filter(license__seller=seller).aggregate(
        activated=Count("id", filter=Q(activated_at__gte=date_from, activated_at__lt=date_to)),
        active=Count("id", filter=Q(license__status=LicenseStatus.ACTIVE)),
    )
    usage = (
        UsageEvent.objects.filter(
            license__seller=seller, occurred_at__gte=date_from, occurred_at__lt=date_to
        )
        .values("metric")
        .annotate(total=Sum("quantity"), events=Count("id"))
        .order_by("metric")
    )
    currencies = sorted(set(revenue) | set(refunds))
    return {
        "from": date_from,
        "to": date_to,
        "orders": sum(int(row["orders"]) for row in revenue.values()),
        "revenue": [
            {
                "currency": currency,
                "orders": int(revenue.get(currency, {}).get("orders") or 0),
                "gross": int(revenue.get(currency, {}).get("gross") or 0),
                "seller_net": int(revenue.get(currency, {}).get("seller_net") or 0),
                "refunded": int(refunds.get(currency) or 0),
            }
            for currency in currencies
        ],
        "licenses": {"issued": license_counts["issued"], "active": license_counts["active"]},
        "activations": {"new": machines["activated"], "active_machines": machines["active"]},
        "usage": [
            {"metric": row["metric"], "total": int(row["total"]), "events": row["events"]}
            for row in usage
        ],
    }


def integration_health(*, seller: Seller, now: datetime | None = None) -> dict[str, Any]:
    """Core's integration health (API and outbound calls over 24 hours and 7 days, the last
    errors, deliveries waiting) and the accounts waiting for the seller to set up by hand."""
    health = integrations.integration_health(seller=seller, now=now)
    health["accounts_waiting_for_you"] = ProvisionedAccount.objects.filter(
        license__seller=seller, status=ProvisioningStatus.MANUAL
    ).count()
    return health
