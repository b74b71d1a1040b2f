"""What the buyer's and the seller's conversation pages share: rows of messages as the
templates show them, and the context of one conversation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from core.conversations import selectors
from core.conversations.models import Conversation, Message, MessageKind, Participant
from core.conversations.services.attachments import signed_attachment_url
from core.conversations.services.messages import EDIT_WINDOW

PAGE_SIZE = 40


@dataclass(frozen=True)
class MessageRow:
    id: int
    kind: str
    is_mine: bool
    sender_name: str
    text: str
    attachment_url: str | None
    attachment_name: str
    attachment_is_image: bool
    attachment_size: int | None
    created_at: datetime
    is_edited: bool
    is_removed: bool
    is_filtered: bool
    is_held: bool
    is_read: bool
    can_edit: bool
    can_report: bool


def sender_name(message: Message, conversation: Conversation | None) -> str:
    """The buyer by their name; the seller's side by the shop's name (the buyer talks to the
    shop, whoever of the team answers); an operator as the marketplace's team."""
    sender = message.sender
    if sender is None:
        return ""
    person = str(sender.full_name or sender.email)
    if conversation is None or sender.pk == conversation.buyer_id:
        return person
    if sender.is_operator:
        return f"{person} (marketplace team)"
    return conversation.seller.business_name


def message_row(
    message: Message, *, viewer_id: int, conversation: Conversation | None = None
) -> MessageRow:
    is_mine = message.sender_id == viewer_id
    is_removed = message.removed_at is not None
    name = sender_name(message, conversation)
    has_file = bool(message.attachment) and not is_removed
    return MessageRow(
        id=message.pk,
        kind=str(message.kind),
        is_mine=is_mine,
        sender_name=name,
        text="" if is_removed else message.text,
        attachment_url=(
            signed_attachment_url(message=message, user_id=viewer_id) if has_file else None
        ),
        attachment_name=message.attachment_name,
        attachment_is_image=message.attachment_content_type.startswith("image/"),
        attachment_size=message.attachment_size,
        created_at=message.created_at,
        is_edited=message.edited_at is not None,
        is_removed=is_removed,
        is_filtered=message.is_filtered,
        is_held=message.held_at is not None and not is_removed,
        is_read=message.read_at is not None,
        can_edit=(
            is_mine
            and message.kind == MessageKind.TEXT
            and not is_removed
            and timezone.now() - message.created_at <= EDIT_WINDOW
        ),
        can_report=not is_mine and message.sender_id is not None and not is_removed,
    )


def inbox_rows(rows: list[Participant], *, viewer_id: int, url: Any) -> list[dict[str, Any]]:
    """What an inbox shows of each conversation, from the inbox's one query only."""
    shown = []
    for row in rows:
        last = row.conversation.last_message
        shown.append(
            {
                "participant": row,
                "url": url(row),
                "counterpart": selectors.counterpart_name(row),
                "last": (
                    {
                        "is_mine": last.sender_id == viewer_id,
                        "is_removed": last.removed_at is not None,
                        "text": last.text,
                        "attachment_name": last.attachment_name,
                    }
                    if last is not None
                    else None
                ),
            }
        )
    return shown


def conversation_context(participant: Participant, *, cursor: str | None) -> dict[str, Any]:
    conversation = participant.conversation
    rows, older = selectors.message_page(
        conversation, viewer_id=participant.user_id, limit=PAGE_SIZE, cursor=cursor
    )
    viewer_id = participant.user_id
    return {
        "participant": participant,
        "conversation": conversation,
        "counterpart": selectors.counterpart_name(participant),
        "chat_messages": [
            message_row(m, viewer_id=viewer_id, conversation=conversation) for m in reversed(rows)
        ],
        "older_cursor": older,
        "is_blocked_by_me": participant.blocked_at is not None,
    }
