"""``{% gig_qc order_id as qc %}``: the quality check's state of an order the page already
found among the viewer's own (the seller's studio order page): in review, returned with the
operator's note, or approved, and its steps for the timeline."""

from __future__ import annotations

from typing import Any

from django import template

from modules.gigs.services import qc

register = template.Library()


@register.simple_tag
def gig_qc(order_id: int) -> dict[str, Any]:
    return qc.summary(int(order_id))
