"""A lost chargeback feeds the rules: the buyer, the card's fingerprint, the device and the
address of the order's checkout are marked, and later checkouts sharing one of them are
blocked (buyer, card) or held for review (device, address: often shared)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.risk.models import MarkKind, RiskAssessment, RiskMark


def mark_lost_chargeback(*, order_id: int, buyer_id: int) -> list[RiskMark]:
    """Idempotent: a mark that exists is kept as it is (the first chargeback's reason)."""
    assessment = RiskAssessment.objects.filter(order_id=order_id).first()
    values = {MarkKind.BUYER: str(buyer_id)}
    if assessment is not None:
        values.update(
            {
                MarkKind.CARD: assessment.card_fingerprint,
                MarkKind.DEVICE: assessment.device_id,
                MarkKind.IP: assessment.ip,
            }
        )
    marks: list[RiskMark] = []
    now = timezone.now()
    for kind, value in values.items():
        if not value:
            continue
        try:
            with transaction.atomic():
                mark, _ = RiskMark.objects.get_or_create(
                    kind=kind,
                    value=value,
                    defaults={
                        "reason": f"Chargeback lost on order {order_id}",
                        "order_id": order_id,
                        "created_at": now,
                    },
                )
        except IntegrityError:  # marked concurrently
            mark = RiskMark.objects.get(kind=kind, value=value)
        marks.append(mark)
    return marks
