"""What the services tell others after a write: the real-time pushes (after commit), the
recipients' notifications and the outbox event for integrations."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from core import events
from core.conversations.models import Message, MessageKind
from core.realtime.topics import publish_to_topic, publish_to_user

TOPIC = "conversation"


def message_payload(message: Message, *, sender_name: str | None = None) -> dict[str, Any]:
    """The public shape of a message (the API's MessageOut, the live event's data);
    ``sender_name`` when the caller knows it without loading the sender."""
    is_removed = message.removed_at is not None
    if sender_name is None:
        sender = message.sender
        sender_name = str(sender.full_name or sender.email) if sender is not None else ""
    return {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "kind": str(message.kind),
        "sender_id": message.sender_id,
        "sender_name": sender_name,
        "text": "" if is_removed else message.text,
        "data": {} if is_removed else message.data,
        "has_attachment": bool(message.attachment) and not is_removed,
        "attachment_name": "" if is_removed else message.attachment_name,
        "attachment_content_type": "" if is_removed else message.attachment_content_type,
        "attachment_size": None if is_removed else message.attachment_size,
        "is_filtered": message.is_filtered,
        "is_removed": is_removed,
        "is_held": message.held_at is not None and not is_removed,
        "created_at": message.created_at.isoformat(),
        "edited_at": message.edited_at.isoformat() if message.edited_at else None,
        "read_at": message.read_at.isoformat() if message.read_at else None,
    }


def conversation_url(conversation_id: int) -> str:
    return reverse("conversations:conversation", args=[conversation_id])


def announce_new_message(message: Message, *, recipient_ids: list[int], sender_name: str) -> None:
    payload = message_payload(message)
    publish_to_topic(TOPIC, message.conversation_id, "chat.message.new", payload)
    # Each participant's other pages (the inbox, the unread badge) hear it on their own group.
    for user_id in {*recipient_ids, *([message.sender_id] if message.sender_id else [])}:
        publish_to_user(user_id, "chat.message.new", payload)
    if recipient_ids:
        _notify(message, recipient_ids=recipient_ids, sender_name=sender_name)
    events.emit(
        "chat.message.created",
        {
            "message_id": message.pk,
            "conversation_id": message.conversation_id,
            "kind": str(message.kind),
            "sender_id": message.sender_id,
            "created_at": message.created_at.isoformat(),
        },
    )


def announce_changed_message(message: Message) -> None:
    publish_to_topic(
        TOPIC, message.conversation_id, "chat.message.changed", message_payload(message)
    )


def announce_withdrawn_message(message: Message) -> None:
    """Held after an edit: the conversation hears it changed, without its text."""
    payload = message_payload(message)
    payload.update(text="", data={}, is_held=True)
    publish_to_topic(TOPIC, message.conversation_id, "chat.message.changed", payload)


def announce_read(*, conversation_id: int, reader_id: int, read_at: str) -> None:
    data = {"conversation_id": conversation_id, "reader_id": reader_id, "read_at": read_at}
    publish_to_topic(TOPIC, conversation_id, "chat.message.read", data)
    publish_to_user(reader_id, "chat.message.read", data)


def announce_status(*, conversation_id: int, status: str) -> None:
    data = {"conversation_id": conversation_id, "status": status}
    publish_to_topic(TOPIC, conversation_id, "chat.status.change", data)


def _notify(message: Message, *, recipient_ids: list[int], sender_name: str) -> None:
    from core.notifications.services import notify

    if message.kind == MessageKind.FILE:
        body = f"Sent a file: {message.attachment_name}"
    else:
        body = message.text[:140]
    notify(
        user_ids=recipient_ids,
        type_key="chat.message",
        title=f"New message from {sender_name}" if sender_name else "New message",
        body=body,
        url=conversation_url(message.conversation_id),
        data={"conversation_id": message.conversation_id, "message_id": message.pk},
        dedupe_key=f"chat.message:{message.pk}",
    )
