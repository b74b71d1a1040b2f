"""The conversation about a gig order, embedded on its pages: core conversations' thread
between the order's buyer and seller about the order's line (the same conversation the
buyer and the seller's team find in their inboxes at /messages/). Opened on first view; the
page shows the newest messages with a fixed number of queries whatever their count."""

from __future__ import annotations

from typing import Any

from core.conversations import selectors as chats
from core.conversations.services.conversations import open_conversation
from core.conversations.views.common import conversation_context
from core.errors import DomainError
from modules.gigs.models import GigOrder

EMBEDDED_MESSAGES = 40  # the thread's page size; older ones are on /messages/<id>/


def order_chat(order: GigOrder, *, user_id: int) -> dict[str, Any] | None:
    """The template context of ``conversations/_conversation.html`` for ``user_id`` (the
    buyer, or someone on the seller's side), or None when the conversation cannot be had
    (the seller's shop is closed, or the viewer is not in it)."""
    try:
        conversation = open_conversation(
            buyer_id=order.buyer_id,
            seller_id=order.seller_id,
            order_line_id=order.order_line_id,
        )
        participant = chats.conversation_row(conversation_id=conversation.pk, user_id=user_id)
    except DomainError:
        return None
    context = conversation_context(participant, cursor=None)
    context["chat_url"] = f"/messages/{conversation.pk}/"
    return context
