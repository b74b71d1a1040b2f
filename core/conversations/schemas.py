from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from core.conversations.models import MAX_MESSAGE_LENGTH, ContactFilterMode


class OpenConversationIn(Schema):
    seller_id: int
    product_id: int | None = None
    order_id: int | None = None
    order_line_id: int | None = None
    text: str | None = Field(None, max_length=MAX_MESSAGE_LENGTH)


class MessageIn(Schema):
    text: str = Field(..., max_length=MAX_MESSAGE_LENGTH * 2)


class ArchiveIn(Schema):
    is_archived: bool = True


class BlockIn(Schema):
    is_blocked: bool = True


class ReportIn(Schema):
    reason: str = Field("", max_length=500)


class MessageOut(Schema):
    id: int
    conversation_id: int
    kind: str
    sender_id: int | None
    sender_name: str
    text: str
    data: dict[str, Any]
    has_attachment: bool
    attachment_name: str
    attachment_content_type: str
    attachment_size: int | None
    attachment_url: str | None = None
    is_filtered: bool
    is_removed: bool
    is_held: bool = False
    created_at: datetime
    edited_at: datetime | None
    read_at: datetime | None


class MessagePageOut(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class PartyOut(Schema):
    id: int
    name: str


class ConversationOut(Schema):
    id: int
    role: str
    subject: str
    title: str
    seller: PartyOut
    buyer: PartyOut
    counterpart_name: str
    product_id: int | None
    order_id: int | None
    order_line_id: int | None
    status: str
    unread_count: int
    is_archived: bool
    is_blocked: bool
    last_message_at: datetime | None
    last_message: MessageOut | None
    created_at: datetime


class ConversationPageOut(Schema):
    items: list[ConversationOut]
    next_cursor: str | None


class UnreadOut(Schema):
    unread: int


class ReadOut(Schema):
    read: int


class OkOut(Schema):
    ok: bool = True


class ReportOut(Schema):
    id: int
    message_id: int
    conversation_id: int
    reporter_id: int
    reason: str
    status: str
    created_at: datetime
    resolved_at: datetime | None
    message: MessageOut


class ReportPageOut(Schema):
    items: list[ReportOut]
    next_cursor: str | None


class ChatSettingsIn(Schema):
    attachment_max_bytes: int
    contact_filter: ContactFilterMode


class ChatSettingsOut(Schema):
    attachment_max_bytes: int
    contact_filter: str
