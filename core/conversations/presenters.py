"""Conversations and messages as the API and the pages show them."""

from __future__ import annotations

from typing import Any

from core.conversations.models import Conversation, Message, MessageReport, Participant
from core.conversations.selectors import counterpart_name
from core.conversations.services.attachments import signed_attachment_url
from core.conversations.services.live import message_payload


def message_dict(
    message: Message, *, viewer_id: int, sender_name: str | None = None
) -> dict[str, Any]:
    payload = message_payload(message, sender_name=sender_name)
    payload["attachment_url"] = (
        signed_attachment_url(message=message, user_id=viewer_id)
        if payload["has_attachment"]
        else None
    )
    return payload


def _last_sender(conversation: Conversation, last: Message) -> str:
    """Without loading the sender: Souk, the buyer, or the shop's side."""
    if last.sender_id is None:
        return ""
    if last.sender_id == conversation.buyer_id:
        return str(conversation.buyer.full_name or conversation.buyer.email)
    return conversation.seller.business_name


def conversation_dict(participant: Participant) -> dict[str, Any]:
    conversation = participant.conversation
    buyer = conversation.buyer
    last = conversation.last_message
    return {
        "id": conversation.pk,
        "role": participant.role,
        "subject": conversation.subject,
        "title": conversation.title,
        "seller": {"id": conversation.seller_id, "name": conversation.seller.business_name},
        "buyer": {"id": buyer.pk, "name": buyer.full_name or buyer.email},
        "counterpart_name": counterpart_name(participant),
        "product_id": conversation.product_id,
        "order_id": conversation.order_id,
        "order_line_id": conversation.order_line_id,
        "status": conversation.status,
        "unread_count": participant.unread_count,
        "is_archived": participant.is_archived,
        "is_blocked": participant.blocked_at is not None,
        "last_message_at": conversation.last_message_at,
        "last_message": (
            message_dict(
                last, viewer_id=participant.user_id, sender_name=_last_sender(conversation, last)
            )
            if last is not None
            else None
        ),
        "created_at": conversation.created_at,
    }


def report_dict(report: MessageReport, *, viewer_id: int) -> dict[str, Any]:
    return {
        "id": report.pk,
        "message_id": report.message_id,
        "conversation_id": report.message.conversation_id,
        "reporter_id": report.reporter_id,
        "reason": report.reason,
        "status": report.status,
        "created_at": report.created_at,
        "resolved_at": report.resolved_at,
        "message": message_dict(report.message, viewer_id=viewer_id),
    }
