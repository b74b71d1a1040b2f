"""What a buyer received for a software line (``manifest.purchase_summary``): its licence
keys, how many of each licence's activations are used, and a link to the licence's page."""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse

from core.commerce.models import OrderLine
from core.commerce.purchases import Received
from modules.licensing.models import License, LicenseStatus


def _detail(license: License, used: int) -> str:
    allowed = license.max_activations or license.policy.max_activations
    machines = "machine" if allowed == 1 else "machines"
    parts = [f"Activated on {used} of {allowed} {machines}"]
    if license.status != LicenseStatus.ACTIVE:
        parts.append(LicenseStatus(license.status).label.lower())
    if license.expires_at is not None:
        parts.append(f"valid until {license.expires_at:%d %B %Y}")
    return "; ".join(parts)


def received_for_line(order_line: OrderLine) -> list[Received]:
    """One entry per licence issued for the line (a line of three seats has three keys)."""
    licenses = (
        License.objects.filter(order_line_id=order_line.pk)
        .select_related("policy")
        .annotate(used=Count("machines"))
        .order_by("seat", "id")
    )
    several = len(licenses) > 1
    return [
        Received(
            kind="licence",
            title=f"Licence key, seat {license.seat}" if several else "Licence key",
            detail=_detail(license, int(license.used)),
            url=reverse("licensing:license", args=[license.pk]),
            secret=license.key,
        )
        for license in licenses
    ]
