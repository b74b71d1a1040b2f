"""File messages: the type is read from the content (``filetype``), never trusted from the
name or the browser; the size limit is the marketplace's; the file is stored privately under
the tenant's prefix and reached only through ``signed_attachment_url`` after an access check."""

from __future__ import annotations

import secrets
from typing import Any

import filetype
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.conversations import selectors
from core.conversations.errors import ConversationError, ConversationErrorCode, not_found
from core.conversations.models import Message, MessageKind
from core.conversations.services.live import announce_new_message
from core.conversations.services.messages import (
    _sender_name,
    check_rate,
    filter_contacts,
    record_message,
    writable_participant,
)
from core.errors import ErrorKind
from core.schema import current_schema_name

# What may be sent: pictures, PDFs, archives (by content), and plain text (no binary bytes).
ALLOWED_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "application/zip": "zip",
    "application/gzip": "gz",
    "application/x-7z-compressed": "7z",
    "audio/mpeg": "mp3",
    "video/mp4": "mp4",
}
TEXT_SUFFIXES = {"txt": "text/plain", "csv": "text/csv", "md": "text/markdown"}
URL_SECONDS = 300
_SALT = "conversations.attachment"


def _detected_type(upload: UploadedFile[Any], name: str) -> tuple[str, str]:
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is not None:
        if kind.mime in ALLOWED_TYPES:
            return kind.mime, ALLOWED_TYPES[kind.mime]
        raise _not_allowed(kind.mime)
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in TEXT_SUFFIXES and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            if error.start < len(head) - 4:  # not just a character cut at the 8 KiB boundary
                raise _not_allowed("binary") from None
        return TEXT_SUFFIXES[suffix], suffix
    raise _not_allowed("unknown")


def _not_allowed(detected: str) -> ConversationError:
    return ConversationError(
        ConversationErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED,
        "Send pictures, PDFs, ZIP archives or plain text files.",
        details={"field": "file", "detected": detected},
        kind=ErrorKind.UNSUPPORTED_MEDIA_TYPE,
    )


def post_attachment(
    *, conversation_id: int, sender_id: int, upload: UploadedFile[Any], caption: str = ""
) -> Message:
    """A file message, with an optional caption (filtered like any text)."""
    participant = writable_participant(conversation_id=conversation_id, user_id=sender_id)
    limit = selectors.chat_settings().attachment_max_bytes
    if (upload.size or 0) > limit:
        raise ConversationError(
            ConversationErrorCode.ATTACHMENT_TOO_LARGE,
            f"Files are at most {limit // (1024 * 1024) or 1} MB here.",
            details={"field": "file", "max_bytes": limit},
            kind=ErrorKind.TOO_LARGE,
        )
    original_name = (upload.name or "file").replace("/", "_").replace("\\", "_")[-200:]
    content_type, suffix = _detected_type(upload, original_name)
    check_rate(conversation_id=conversation_id, user_id=sender_id)
    text, is_filtered = "", False
    if caption.strip():
        text, is_filtered = filter_contacts(
            conversation=participant.conversation, role=participant.role, text=caption.strip()
        )
    with transaction.atomic():
        message = Message(
            conversation_id=conversation_id,
            sender_id=sender_id,
            kind=MessageKind.FILE,
            text=text[:2000],
            is_filtered=is_filtered,
            attachment_name=original_name,
            attachment_content_type=content_type,
            attachment_size=upload.size,
        )
        message.attachment.save(f"{secrets.token_hex(16)}.{suffix}", upload, save=False)
        message.save()
        recipients = record_message(message, now=timezone.now())
        sender = participant.user
        announce_new_message(
            message,
            recipient_ids=recipients,
            sender_name=_sender_name(participant, sender.full_name or sender.email),
        )
    return message


def signed_attachment_url(*, message: Message, user_id: int) -> str:
    """A link to the file that works for ``URL_SECONDS`` and only for this user on this
    marketplace (the page that serves it checks the signature, the user, the schema and
    their access again)."""
    claims = {"m": message.pk, "u": user_id, "s": current_schema_name()}
    token = signing.dumps(claims, salt=_SALT, compress=True)
    return reverse("conversations:attachment", args=[token])


def attachment_for_token(*, token: str, user_id: int) -> Message:
    """The message behind a signed link, if the link is fresh, was made for this user and
    they still take part in its conversation; not found otherwise."""
    try:
        claims = signing.loads(token, salt=_SALT, max_age=URL_SECONDS)
    except signing.BadSignature:
        raise not_found(ConversationErrorCode.ATTACHMENT_NOT_FOUND, "No such file.") from None
    # Bound to the user and the marketplace: ids repeat between schemas.
    if (
        not isinstance(claims, dict)
        or claims.get("u") != user_id
        or claims.get("s") != current_schema_name()
    ):
        raise not_found(ConversationErrorCode.ATTACHMENT_NOT_FOUND, "No such file.")
    message_id = claims.get("m")
    if not isinstance(message_id, int):
        raise not_found(ConversationErrorCode.ATTACHMENT_NOT_FOUND, "No such file.")
    message = Message.objects.filter(pk=message_id, removed_at__isnull=True).first()
    if message is None or not message.attachment:
        raise not_found(ConversationErrorCode.ATTACHMENT_NOT_FOUND, "No such file.")
    if selectors.find_participant(conversation_id=message.conversation_id, user_id=user_id) is None:
        raise not_found(ConversationErrorCode.ATTACHMENT_NOT_FOUND, "No such file.")
    return message
