"""The only writers of conversations (re-exported here: ``core.conversations.services``)."""

from core.conversations.services.attachments import (
    attachment_for_token,
    post_attachment,
    signed_attachment_url,
)
from core.conversations.services.conversations import (
    add_participant,
    archive_conversation,
    block_conversation,
    join_seller_conversations,
    open_conversation,
    set_conversation_status,
)
from core.conversations.services.messages import (
    edit_message,
    mark_read,
    post_message,
    post_system_message,
)
from core.conversations.services.moderation import (
    dismiss_report,
    remove_reported_message,
    report_message,
    suspend_reported_sender,
)
from core.conversations.services.settings import update_chat_settings

__all__ = [
    "add_participant",
    "archive_conversation",
    "attachment_for_token",
    "block_conversation",
    "dismiss_report",
    "edit_message",
    "join_seller_conversations",
    "mark_read",
    "open_conversation",
    "post_attachment",
    "post_message",
    "post_system_message",
    "remove_reported_message",
    "report_message",
    "set_conversation_status",
    "signed_attachment_url",
    "suspend_reported_sender",
    "update_chat_settings",
]
