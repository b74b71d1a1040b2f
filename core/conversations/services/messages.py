"""Writing messages: text from a participant, system messages from Souk, edits within a
short window, and read receipts. Every new message updates the participants' unread counts
and inbox order in one UPDATE."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from core import ratelimit
from core.automod.models import ContentKind
from core.automod.pipeline import Screening
from core.automod.services.screening import record, screen
from core.commerce.models import Order
from core.conversations import selectors
from core.conversations.contact_filter import find_contacts, mask_contacts
from core.conversations.errors import (
    ConversationError,
    ConversationErrorCode,
    invalid,
    not_found,
)
from core.conversations.models import (
    MAX_MESSAGE_LENGTH,
    ContactFilterMode,
    Conversation,
    ConversationStatus,
    Message,
    MessageKind,
    Participant,
    ParticipantRole,
)
from core.conversations.services.live import (
    announce_changed_message,
    announce_new_message,
    announce_read,
    announce_withdrawn_message,
)
from core.errors import ErrorKind

EDIT_WINDOW = timedelta(minutes=5)
# A person types; a script floods. Per sender across conversations, and per conversation.
USER_RATE = ratelimit.Rate.parse("20/m")
CONVERSATION_RATE = ratelimit.Rate.parse("40/m")


def _clean_text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise invalid(ConversationErrorCode.EMPTY_MESSAGE, "text", "Write something first.")
    if len(cleaned) > MAX_MESSAGE_LENGTH:
        raise ConversationError(
            ConversationErrorCode.MESSAGE_TOO_LONG,
            f"A message is at most {MAX_MESSAGE_LENGTH} characters.",
            details={"field": "text", "max_length": MAX_MESSAGE_LENGTH},
            kind=ErrorKind.INVALID,
        )
    return cleaned


def buyer_has_paid(conversation: Conversation) -> bool:
    """Once the buyer has paid an order with this seller, they may swap contact details."""
    return Order.objects.filter(
        buyer_id=conversation.buyer_id,
        paid_at__isnull=False,
        sub_orders__seller_id=conversation.seller_id,
    ).exists()


def filter_contacts(*, conversation: Conversation, role: str, text: str) -> tuple[str, bool]:
    """The text as it may be posted and whether the filter changed it; raises in block
    mode. Operators are not filtered."""
    if role == ParticipantRole.OPERATOR:
        return text, False
    mode = selectors.chat_settings().contact_filter
    if mode == ContactFilterMode.OFF:
        return text, False
    findings = find_contacts(text)
    if not findings or buyer_has_paid(conversation):
        return text, False
    if mode == ContactFilterMode.BLOCK:
        raise ConversationError(
            ConversationErrorCode.CONTACT_DETAILS_NOT_ALLOWED,
            "Keep the conversation here: e-mail addresses, phone numbers and messenger "
            "handles can be shared once you have an order with this seller.",
            details={"field": "text", "kinds": sorted({f.kind for f in findings})},
            kind=ErrorKind.INVALID,
        )
    return mask_contacts(text, findings), True


def check_rate(*, conversation_id: int, user_id: int) -> None:
    ratelimit.check_in_order(
        ratelimit.Bucket("chat.user", str(user_id), USER_RATE),
        ratelimit.Bucket("chat.conversation", str(conversation_id), CONVERSATION_RATE),
    )


def writable_participant(*, conversation_id: int, user_id: int) -> Participant:
    """The sender's participation, refusing closed and blocked conversations."""
    participant = selectors.participant_or_404(conversation_id=conversation_id, user_id=user_id)
    if participant.conversation.status == ConversationStatus.ARCHIVED:
        raise ConversationError(
            ConversationErrorCode.CONVERSATION_ARCHIVED,
            "This conversation is closed.",
            kind=ErrorKind.CONFLICT,
        )
    if participant.role != ParticipantRole.OPERATOR:
        is_blocked = (
            Participant.objects.filter(conversation_id=conversation_id, blocked_at__isnull=False)
            .exclude(role=participant.role)
            .exclude(role=ParticipantRole.OPERATOR)
            .exists()
        )
        if is_blocked:
            raise ConversationError(
                ConversationErrorCode.BLOCKED,
                "You cannot send messages in this conversation any more.",
                kind=ErrorKind.FORBIDDEN,
            )
    return participant


def record_message(message: Message, *, now: datetime) -> list[int]:
    """Make ``message`` the conversation's last and count it unread for everyone but its
    sender (one UPDATE of the participants); returns the recipients' user ids."""
    Conversation.objects.filter(pk=message.conversation_id).update(
        last_message=message, last_message_at=now
    )
    sender_id = message.sender_id or 0
    Participant.objects.filter(conversation_id=message.conversation_id).update(
        unread_count=Case(
            When(user_id=sender_id, then=Value(0)),
            default=F("unread_count") + 1,
        ),
        last_message_at=now,
        is_archived=False,
    )
    return list(
        Participant.objects.filter(conversation_id=message.conversation_id)
        .exclude(user_id=sender_id)
        .values_list("user_id", flat=True)
    )


def _screen(*, role: str, text: str, sender_id: int, message_id: int | None) -> Screening | None:
    """Automated moderation of what a buyer or seller writes (operators are not screened)."""
    if role == ParticipantRole.OPERATOR:
        return None
    return screen(kind=ContentKind.MESSAGE, text=text, author_id=sender_id, object_id=message_id)


def post_message(*, conversation_id: int, sender_id: int, text: str) -> Message:
    """A participant's text message: rate-limited, at most ``MAX_MESSAGE_LENGTH``, contact
    details masked or refused as the operator set (until the buyer has paid), screened by
    automated moderation: a held message is stored for its sender only, and nobody else
    hears of it (no unread count, no live event, no notification) until an operator
    releases it."""
    cleaned = _clean_text(text)
    with transaction.atomic():
        participant = writable_participant(conversation_id=conversation_id, user_id=sender_id)
        check_rate(conversation_id=conversation_id, user_id=sender_id)
        posted, is_filtered = filter_contacts(
            conversation=participant.conversation, role=participant.role, text=cleaned
        )
        screening = _screen(
            role=participant.role, text=posted, sender_id=sender_id, message_id=None
        )
        now = timezone.now()
        message = Message.objects.create(
            conversation_id=conversation_id,
            sender_id=sender_id,
            kind=MessageKind.TEXT,
            text=posted,
            is_filtered=is_filtered,
            held_at=now if screening is not None and screening.is_held else None,
        )
        if screening is not None:
            record(screening, object_id=message.pk, is_new=True)
        if message.held_at is not None:
            return message
        recipients = record_message(message, now=now)
        sender = participant.user
        announce_new_message(
            message,
            recipient_ids=recipients,
            sender_name=_sender_name(participant, sender.full_name or sender.email),
        )
    return message


def deliver_message(message: Message, *, participant: Participant) -> None:
    """A message that was held reaches the others now, as if just written."""
    recipients = record_message(message, now=timezone.now())
    sender = participant.user
    announce_new_message(
        message,
        recipient_ids=recipients,
        sender_name=_sender_name(participant, sender.full_name or sender.email),
    )


def withdraw_message(message: Message) -> None:
    """A live message an edit got held: the others' pages drop its text, and the inbox's
    last message goes back to the latest one they may see."""
    announce_withdrawn_message(message)
    conversation = Conversation.objects.filter(pk=message.conversation_id).first()
    if conversation is not None and conversation.last_message_id == message.pk:
        latest = (
            Message.objects.filter(conversation_id=message.conversation_id, held_at__isnull=True)
            .order_by("-created_at", "-id")
            .first()
        )
        Conversation.objects.filter(pk=conversation.pk).update(last_message=latest)


def _sender_name(participant: Participant, person: str) -> str:
    if participant.role == ParticipantRole.SELLER:
        return participant.conversation.seller.business_name
    return person


def post_system_message(
    *, conversation_id: int, text: str, data: dict[str, Any] | None = None
) -> Message:
    """A message written by Souk ("Delivered", "Revision requested", "Dispute opened");
    not filtered, not rate-limited, unread for everyone."""
    if not Conversation.objects.filter(pk=conversation_id).exists():
        raise not_found(ConversationErrorCode.CONVERSATION_NOT_FOUND, "No such conversation.")
    with transaction.atomic():
        message = Message.objects.create(
            conversation_id=conversation_id,
            sender=None,
            kind=MessageKind.SYSTEM,
            text=text.strip()[:MAX_MESSAGE_LENGTH],
            data=data or {},
        )
        recipients = record_message(message, now=timezone.now())
        announce_new_message(message, recipient_ids=recipients, sender_name="")
    return message


def edit_message(
    *, message_id: int, user_id: int, text: str, conversation_id: int | None = None
) -> Message:
    """The sender's own text message, within ``EDIT_WINDOW`` of posting it (and, when
    ``conversation_id`` is given, in that conversation)."""
    cleaned = _clean_text(text)
    with transaction.atomic():
        candidates = (
            Message.objects.select_for_update(of=("self",))
            .select_related("sender")
            .filter(pk=message_id)
        )
        if conversation_id is not None:
            candidates = candidates.filter(conversation_id=conversation_id)
        message = candidates.first()
        participant = (
            selectors.find_participant(conversation_id=message.conversation_id, user_id=user_id)
            if message is not None
            else None
        )
        if message is None or participant is None:
            raise not_found(ConversationErrorCode.MESSAGE_NOT_FOUND, "No such message.")
        if message.sender_id != user_id or message.kind != MessageKind.TEXT:
            raise ConversationError(
                ConversationErrorCode.NOT_YOUR_MESSAGE,
                "You can only edit your own text messages.",
                kind=ErrorKind.FORBIDDEN,
            )
        if message.removed_at is not None or timezone.now() - message.created_at > EDIT_WINDOW:
            raise ConversationError(
                ConversationErrorCode.EDIT_WINDOW_CLOSED,
                f"Messages can be edited for {int(EDIT_WINDOW.total_seconds() // 60)} minutes.",
                kind=ErrorKind.CONFLICT,
            )
        posted, is_filtered = filter_contacts(
            conversation=participant.conversation, role=participant.role, text=cleaned
        )
        screening = _screen(
            role=participant.role, text=posted, sender_id=user_id, message_id=message.pk
        )
        message.text = posted
        message.is_filtered = is_filtered
        message.edited_at = timezone.now()
        was_held = message.held_at is not None
        if screening is not None:
            record(screening, object_id=message.pk)
            # An edit the checks flag takes a live message back from the others' view; an
            # edit of a held message stays held (an operator decides on the new text).
            message.held_at = message.held_at or (message.edited_at if screening.is_held else None)
            if was_held and not screening.is_held:  # fixed by its sender: delivered now
                message.held_at = None
        message.save(update_fields=["text", "is_filtered", "edited_at", "held_at"])
        if was_held and message.held_at is None:
            deliver_message(message, participant=participant)
        elif not was_held and message.held_at is not None:
            withdraw_message(message)
        elif message.held_at is None:
            announce_changed_message(message)
    return message


def mark_read(*, conversation_id: int, user_id: int) -> int:
    """The user has seen the conversation: the other side's messages get ``read_at`` (now),
    the user's unread count goes to zero, the other side hears ``chat.message.read``.
    Returns how many messages were newly read."""
    participant = selectors.participant_or_404(conversation_id=conversation_id, user_id=user_id)
    now = timezone.now()
    with transaction.atomic():
        same_side = Participant.objects.filter(
            conversation_id=conversation_id, role=participant.role
        ).values("user_id")
        newly_read = (
            Message.objects.filter(
                conversation_id=conversation_id, read_at__isnull=True, held_at__isnull=True
            )
            .exclude(sender_id__in=same_side)
            .update(read_at=now)
        )
        Participant.objects.filter(pk=participant.pk).update(unread_count=0, last_read_at=now)
        if newly_read or participant.unread_count:
            announce_read(
                conversation_id=conversation_id, reader_id=user_id, read_at=now.isoformat()
            )
    return newly_read
