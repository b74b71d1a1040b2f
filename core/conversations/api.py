"""Conversations between buyers and sellers (and an operator a dispute brings in):
``/api/v1/chats`` for participants (user_auth on the router), ``/api/v1/operator/messages``
for the operators' queue of reported messages (operator_auth on the router).

Someone who does not take part in a conversation gets 404 for it, its messages and its
files, exactly as for one that does not exist."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from core.accounts.models import TokenScope
from core.accounts.principal import principal_of, require_scope
from core.conversations import presenters, selectors, services
from core.conversations.models import MessageReport, ReportStatus
from core.conversations.schemas import (
    ArchiveIn,
    BlockIn,
    ChatSettingsIn,
    ChatSettingsOut,
    ConversationOut,
    ConversationPageOut,
    MessageIn,
    MessageOut,
    MessagePageOut,
    OkOut,
    OpenConversationIn,
    ReadOut,
    ReportIn,
    ReportOut,
    ReportPageOut,
    UnreadOut,
)
from core.pagination import keyset_page

chats_router = Router()
operator_messages_router = Router()


class PageQuery(Schema):
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = Field(None, max_length=512)


class InboxQuery(PageQuery):
    archived: bool = False


class ReportQuery(PageQuery):
    status: ReportStatus = ReportStatus.OPEN


def _reader(request: HttpRequest) -> int:
    principal = principal_of(request)
    require_scope(principal, TokenScope.READ)
    return int(principal.user.pk)


def _writer(request: HttpRequest) -> int:
    principal = principal_of(request)
    require_scope(principal, TokenScope.WRITE)
    return int(principal.user.pk)


def _conversation_out(conversation_id: int, user_id: int) -> dict[str, Any]:
    row = selectors.conversation_row(conversation_id=conversation_id, user_id=user_id)
    return presenters.conversation_dict(row)


@chats_router.post("", response={201: ConversationOut, 200: ConversationOut})
def open_chat(request: HttpRequest, payload: OpenConversationIn) -> Status[dict[str, Any]]:
    """Open (or find) the conversation with a seller, about a product, an order or a line of
    it; with ``text``, post it as the first message."""
    user_id = _writer(request)
    conversation = services.open_conversation(
        buyer_id=user_id,
        seller_id=payload.seller_id,
        product_id=payload.product_id,
        order_id=payload.order_id,
        order_line_id=payload.order_line_id,
    )
    is_new = conversation.last_message_id is None
    if payload.text:
        services.post_message(conversation_id=conversation.pk, sender_id=user_id, text=payload.text)
    return Status(201 if is_new else 200, _conversation_out(conversation.pk, user_id))


@chats_router.get("", response=ConversationPageOut)
def list_chats(request: HttpRequest, query: Query[InboxQuery]) -> dict[str, Any]:
    """My conversations, most recent first, with my unread count and the last message."""
    user_id = _reader(request)
    rows, next_cursor = selectors.inbox_page(
        user_id, is_archived=query.archived, limit=query.limit, cursor=query.cursor
    )
    return {
        "items": [presenters.conversation_dict(row) for row in rows],
        "next_cursor": next_cursor,
    }


@chats_router.get("/unread", response=UnreadOut)
def unread(request: HttpRequest) -> dict[str, int]:
    """My unread messages over every conversation."""
    return {"unread": selectors.unread_total(_reader(request))}


@chats_router.get("/{int:chat_id}", response=ConversationOut)
def get_chat(request: HttpRequest, chat_id: int) -> dict[str, Any]:
    return _conversation_out(chat_id, _reader(request))


@chats_router.get("/{int:chat_id}/messages", response=MessagePageOut)
def list_messages(request: HttpRequest, chat_id: int, query: Query[PageQuery]) -> dict[str, Any]:
    """Newest first; ``next_cursor`` pages back in time."""
    user_id = _reader(request)
    participant = selectors.participant_or_404(conversation_id=chat_id, user_id=user_id)
    rows, next_cursor = selectors.message_page(
        participant.conversation, viewer_id=user_id, limit=query.limit, cursor=query.cursor
    )
    return {
        "items": [presenters.message_dict(row, viewer_id=user_id) for row in rows],
        "next_cursor": next_cursor,
    }


@chats_router.post("/{int:chat_id}/messages", response={201: MessageOut})
def send_message(request: HttpRequest, chat_id: int, payload: MessageIn) -> Status[dict[str, Any]]:
    user_id = _writer(request)
    message = services.post_message(conversation_id=chat_id, sender_id=user_id, text=payload.text)
    return Status(201, presenters.message_dict(message, viewer_id=user_id))


@chats_router.patch("/{int:chat_id}/messages/{int:message_id}", response=MessageOut)
def edit_message(
    request: HttpRequest, chat_id: int, message_id: int, payload: MessageIn
) -> dict[str, Any]:
    """Your own text message, within five minutes of sending it."""
    user_id = _writer(request)
    message = services.edit_message(
        conversation_id=chat_id, message_id=message_id, user_id=user_id, text=payload.text
    )
    return presenters.message_dict(message, viewer_id=user_id)


@chats_router.put("/{int:chat_id}/read", response=ReadOut)
def mark_read(request: HttpRequest, chat_id: int) -> dict[str, int]:
    """I have seen everything up to now: read receipts for the other side."""
    user_id = _writer(request)
    return {"read": services.mark_read(conversation_id=chat_id, user_id=user_id)}


@chats_router.post("/{int:chat_id}/attachments", response={201: MessageOut})
def send_attachment(
    request: HttpRequest,
    chat_id: int,
    file: File[UploadedFile],
    caption: Annotated[str, Form(max_length=2000)] = "",
) -> Status[dict[str, Any]]:
    """A file (multipart ``file``, optional ``caption``); its type is read from its content."""
    user_id = _writer(request)
    message = services.post_attachment(
        conversation_id=chat_id, sender_id=user_id, upload=file, caption=caption
    )
    return Status(201, presenters.message_dict(message, viewer_id=user_id))


@chats_router.put("/{int:chat_id}/archive", response=OkOut)
def archive(request: HttpRequest, chat_id: int, payload: ArchiveIn) -> dict[str, bool]:
    services.archive_conversation(
        conversation_id=chat_id, user_id=_writer(request), is_archived=payload.is_archived
    )
    return {"ok": True}


@chats_router.put("/{int:chat_id}/block", response=OkOut)
def block(request: HttpRequest, chat_id: int, payload: BlockIn) -> dict[str, bool]:
    """Refuse (or accept again) messages from the other side of this conversation."""
    services.block_conversation(
        conversation_id=chat_id, user_id=_writer(request), is_blocked=payload.is_blocked
    )
    return {"ok": True}


@chats_router.post("/{int:chat_id}/messages/{int:message_id}/report", response={201: ReportOut})
def report(
    request: HttpRequest, chat_id: int, message_id: int, payload: ReportIn
) -> Status[dict[str, Any]]:
    """Report someone's message to the marketplace's operators."""
    user_id = _writer(request)
    found = services.report_message(
        conversation_id=chat_id, message_id=message_id, user_id=user_id, reason=payload.reason
    )
    return Status(201, presenters.report_dict(found, viewer_id=user_id))


# --- operators --------------------------------------------------------------------------------


@operator_messages_router.get("/reports", response=ReportPageOut)
def report_queue(request: HttpRequest, query: Query[ReportQuery]) -> dict[str, Any]:
    """Reported messages, newest first (open ones by default)."""
    operator_id = int(principal_of(request).user.pk)
    queryset = MessageReport.objects.filter(status=query.status).select_related(
        "message", "message__sender"
    )
    rows, next_cursor = keyset_page(
        queryset, ordering=("-created_at", "-pk"), limit=query.limit, cursor=query.cursor
    )
    return {
        "items": [presenters.report_dict(row, viewer_id=operator_id) for row in rows],
        "next_cursor": next_cursor,
    }


@operator_messages_router.post("/reports/{int:report_id}/dismiss", response=ReportOut)
def dismiss(request: HttpRequest, report_id: int) -> dict[str, Any]:
    operator_id = int(principal_of(request).user.pk)
    found = services.dismiss_report(report_id=report_id, operator_id=operator_id)
    return presenters.report_dict(found, viewer_id=operator_id)


@operator_messages_router.post("/reports/{int:report_id}/remove", response=ReportOut)
def remove(request: HttpRequest, report_id: int) -> dict[str, Any]:
    """Remove the reported message for everyone (its text and file)."""
    operator_id = int(principal_of(request).user.pk)
    found = services.remove_reported_message(report_id=report_id, operator_id=operator_id)
    return presenters.report_dict(found, viewer_id=operator_id)


@operator_messages_router.post("/reports/{int:report_id}/suspend", response=ReportOut)
def suspend(request: HttpRequest, report_id: int, payload: ReportIn) -> dict[str, Any]:
    """Remove the reported message and suspend its sender (``reason`` is required: they are
    told)."""
    operator_id = int(principal_of(request).user.pk)
    found = services.suspend_reported_sender(
        report_id=report_id, operator_id=operator_id, reason=payload.reason
    )
    return presenters.report_dict(found, viewer_id=operator_id)


@operator_messages_router.get("/settings", response=ChatSettingsOut)
def get_settings(request: HttpRequest) -> dict[str, Any]:
    found = selectors.chat_settings()
    return {
        "attachment_max_bytes": found.attachment_max_bytes,
        "contact_filter": found.contact_filter,
    }


@operator_messages_router.put("/settings", response=ChatSettingsOut)
def put_settings(request: HttpRequest, payload: ChatSettingsIn) -> dict[str, Any]:
    found = services.update_chat_settings(
        attachment_max_bytes=payload.attachment_max_bytes, contact_filter=payload.contact_filter
    )
    return {
        "attachment_max_bytes": found.attachment_max_bytes,
        "contact_filter": found.contact_filter,
    }
