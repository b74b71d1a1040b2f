"""Disputes as the API and the pages show them."""

from __future__ import annotations

from typing import Any

from core.accounts.models import User
from core.commerce.models import OrderLine
from core.disputes import selectors
from core.disputes.models import Dispute, DisputeEvent, DisputeEvidence, DisputeMessage
from core.money import Money


def money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency, "display": str(Money(amount, currency))}


def dispute_summary(dispute: Dispute) -> dict[str, Any]:
    return {
        "id": dispute.pk,
        "order_id": dispute.order_id,
        "order_line_id": dispute.order_line_id,
        "type": dispute.kind,
        "status": dispute.status,
        "status_label": dispute.get_status_display(),
        "complainant_id": dispute.complainant_id,
        "seller_id": dispute.seller_id,
        "frozen": money(dispute.frozen_amount, dispute.currency),
        "respond_by": dispute.respond_by.isoformat() if dispute.respond_by else None,
        "appeal_by": dispute.appeal_by.isoformat() if dispute.appeal_by else None,
        "created_at": dispute.created_at.isoformat(),
    }


def dispute_out(dispute: Dispute, user: User) -> dict[str, Any]:
    line = (
        OrderLine.objects.filter(pk=dispute.order_line_id).first()
        if dispute.order_line_id
        else None
    )
    return {
        **dispute_summary(dispute),
        "reason": dispute.reason,
        "your_part": selectors.party_of(user, dispute),
        "evidence_submitted_at": dispute.evidence_submitted_at.isoformat()
        if dispute.evidence_submitted_at
        else None,
        "line": None
        if line is None
        else {
            "id": line.pk,
            "title": line.title,
            "total": money(line.total, dispute.currency),
            "refunded": money(line.refunded_amount, dispute.currency),
        },
        "resolution": None
        if not dispute.resolution_type
        else {
            "type": dispute.resolution_type,
            "refund_to_buyer": money(dispute.refund_to_buyer, dispute.currency),
            "release_to_seller": money(dispute.release_to_seller, dispute.currency),
            "platform_compensation": money(dispute.platform_compensation, dispute.currency),
            "note": dispute.resolution_note,
            "decided_by": dispute.decided_by_id,
            "is_default": dispute.is_default_outcome,
            "resolved_at": dispute.resolved_at.isoformat() if dispute.resolved_at else None,
        },
        "appeal": None
        if dispute.appealed_at is None
        else {
            "by": dispute.appealed_by_id,
            "at": dispute.appealed_at.isoformat(),
            "upheld": dispute.appeal_upheld,
            "decided_by": dispute.appeal_decided_by_id,
            "compensation": money(dispute.appeal_compensation, dispute.currency),
        },
        "conversation_id": dispute.conversation_id,
        "messages": [message_out(m) for m in dispute.messages.order_by("created_at", "id")],
        "evidence": [evidence_out(e) for e in dispute.evidence.order_by("created_at", "id")],
        "timeline": [event_out(e) for e in dispute.events.order_by("created_at", "id")],
    }


def message_out(message: DisputeMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "kind": message.kind,
        "author_id": message.author_id,
        "text": message.text,
        "created_at": message.created_at.isoformat(),
    }


def evidence_out(evidence: DisputeEvidence) -> dict[str, Any]:
    return {
        "id": evidence.pk,
        "kind": evidence.kind,
        "author_id": evidence.author_id,
        "text": evidence.text,
        "file_name": evidence.file_name,
        "content_type": evidence.content_type,
        "size": evidence.size,
        "url": f"/api/v1/disputes/{evidence.dispute_id}/evidence/{evidence.pk}/file"
        if evidence.file
        else None,
        "created_at": evidence.created_at.isoformat(),
    }


def event_out(event: DisputeEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "kind": event.kind,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "data": event.data,
        "created_at": event.created_at.isoformat(),
    }
