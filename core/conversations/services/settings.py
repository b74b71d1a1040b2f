"""The operator's chat policy for the marketplace."""

from __future__ import annotations

from core.conversations.errors import ConversationErrorCode, invalid
from core.conversations.models import ContactFilterMode, ConversationSettings

MIN_ATTACHMENT_BYTES = 1024
MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024


def update_chat_settings(*, attachment_max_bytes: int, contact_filter: str) -> ConversationSettings:
    if contact_filter not in ContactFilterMode.values:
        raise invalid(
            ConversationErrorCode.INVALID_ROLE, "contact_filter", "Choose off, mask or block."
        )
    if not MIN_ATTACHMENT_BYTES <= attachment_max_bytes <= MAX_ATTACHMENT_BYTES:
        raise invalid(
            ConversationErrorCode.ATTACHMENT_TOO_LARGE,
            "attachment_max_bytes",
            "Choose between 1 KB and 100 MB.",
        )
    found, _ = ConversationSettings.objects.update_or_create(
        pk=1,
        defaults={"attachment_max_bytes": attachment_max_bytes, "contact_filter": contact_filter},
    )
    return found
