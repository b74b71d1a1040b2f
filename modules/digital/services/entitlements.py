"""What a buyer may download: one ``Entitlement`` per paid order line of a digital product,
granted by the fulfil hook and revoked on a full refund or a lost chargeback (downloads are
404 from then on). The product's update window and download limit are snapshotted when the
line is paid, so a seller tightening them later never takes anything from a past buyer.

Granting also queues the buyer's stamped copies of the product's current PDFs (a background
job, ``services/stamping.py``)."""

from __future__ import annotations

import calendar
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.commerce.models import OrderLine
from modules.digital.models import DigitalProduct, Entitlement, FileVersion
from modules.digital.services.stamping import queue_stamps


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` ``months`` calendar months later (the 31st becomes the month's last day)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def grant_for_line(*, line_id: int, now: datetime | None = None) -> Entitlement | None:
    """The fulfil hook's work (idempotent): the paid line's entitlement, with the terms of
    the moment; None for a line whose product has no digital terms (nothing to deliver)."""
    now = now or timezone.now()
    line = OrderLine.objects.select_related("order").get(pk=line_id)
    terms = DigitalProduct.objects.filter(product_id=line.product_id).first()
    if terms is None:
        return None
    entitlement, created = Entitlement.objects.get_or_create(
        order_line=line,
        defaults={
            "product": terms,
            "buyer_id": line.order.buyer_id,
            "granted_at": now,
            "updates_until": add_months(now, terms.update_months)
            if terms.update_months is not None
            else None,
            "download_limit": terms.download_limit,
        },
    )
    if created and terms.stamp_pdfs:
        transaction.on_commit(lambda: queue_stamps(entitlement_id=entitlement.pk))
    return entitlement


def revoke_for_line(*, line_id: int, reason: str, now: datetime | None = None) -> bool:
    """The revoke hook's work (idempotent): True when downloads stopped now."""
    updated = Entitlement.objects.filter(order_line_id=line_id, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now(), revoked_reason=reason[:200]
    )
    return updated > 0


def covers(entitlement: Entitlement, version: FileVersion) -> bool:
    """Whether the entitlement reaches ``version``: anything published before it was granted,
    and later versions while its update window lasts."""
    if entitlement.revoked_at is not None:
        return False
    if version.created_at <= entitlement.granted_at:
        return True
    return entitlement.updates_until is None or version.created_at <= entitlement.updates_until
