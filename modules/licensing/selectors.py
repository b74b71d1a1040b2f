"""Reads shared by the licensing API and pages. A licence is only ever looked up through the
buyer who holds it or the seller who sold it: another user's licence is not found (404)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Prefetch, QuerySet, Sum

from core.accounts.models import User
from core.errors import ErrorKind
from core.sellers.models import Seller
from modules.licensing.errors import LicensingError, LicensingErrorCode
from modules.licensing.models import (
    License,
    Machine,
    ProvisionedAccount,
    ProvisioningStatus,
    UsageEvent,
)

WAITING_ACCOUNTS_SHOWN = 20


def license_not_found() -> LicensingError:
    return LicensingError(
        LicensingErrorCode.LICENSE_NOT_FOUND, "No such licence.", kind=ErrorKind.NOT_FOUND
    )


def max_activations_of(license: License) -> int:
    """The licence's own limit, else its policy's."""
    return license.max_activations or license.policy.max_activations


def _with_details(queryset: QuerySet[License]) -> QuerySet[License]:
    return queryset.select_related(
        "product", "policy", "seller", "provisioned_account"
    ).prefetch_related(
        Prefetch("machines", queryset=Machine.objects.order_by("activated_at", "id"))
    )


def buyer_licenses(buyer: User) -> QuerySet[License]:
    return _with_details(License.objects.filter(buyer=buyer))


def seller_licenses(seller: Seller) -> QuerySet[License]:
    return _with_details(License.objects.filter(seller=seller).select_related("buyer"))


def buyers_license(buyer: User, license_id: int) -> License:
    license = buyer_licenses(buyer).filter(pk=license_id).first()
    if license is None:
        raise license_not_found()
    return license


def sellers_license(seller: Seller, license_id: int) -> License:
    license = seller_licenses(seller).filter(pk=license_id).first()
    if license is None:
        raise license_not_found()
    return license


def provisioned_account(license: License) -> ProvisionedAccount | None:
    """The prefetched reverse one-to-one (None when there is none)."""
    try:
        return license.provisioned_account
    except ProvisionedAccount.DoesNotExist:
        return None


@dataclass(frozen=True)
class MetricUsage:
    metric: str
    total: int
    events: int
    last_at: str | None


def usage_summary(license: License) -> list[MetricUsage]:
    """Metered usage reported by the seller's software, summed per metric (one query)."""
    rows = (
        UsageEvent.objects.filter(license=license)
        .values("metric")
        .annotate(total=Sum("quantity"), events=Count("id"), last_at=Max("occurred_at"))
        .order_by("metric")
    )
    return [
        MetricUsage(
            metric=row["metric"],
            total=int(row["total"] or 0),
            events=int(row["events"]),
            last_at=row["last_at"].isoformat() if row["last_at"] else None,
        )
        for row in rows
    ]


def integration_section(seller: Seller) -> dict[str, Any]:
    """The module's part of the seller's integration dashboard (core/integrations): the
    accounts automatic provisioning gave up on, waiting for the seller to set up by hand."""
    waiting = ProvisionedAccount.objects.filter(
        license__seller=seller, status=ProvisioningStatus.MANUAL
    )
    return {
        "accounts_waiting_for_you": waiting.count(),
        "waiting_accounts": list(
            waiting.select_related("license__product", "license__buyer").order_by("-id")[
                :WAITING_ACCOUNTS_SHOWN
            ]
        ),
    }
