"""Reads shared by the API, the pages and the real-time topic: who may see a conversation,
a user's unread total (one indexed SUM), their inbox (one query) and a conversation's pages
of messages (newest first, keyset)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from core.conversations.errors import ConversationErrorCode, not_found
from core.conversations.models import (
    Conversation,
    ConversationSettings,
    Message,
    Participant,
    ParticipantRole,
)
from core.pagination import keyset_page
from core.sellers.models import TeamMember, TeamPermission

SELLER_SIDE_PERMISSIONS = (TeamPermission.MANAGE_CUSTOMERS, TeamPermission.PROCESS_ORDERS)
INBOX_ORDERING = ("-last_message_at", "-pk")
MESSAGE_ORDERING = ("-created_at", "-pk")


def chat_settings() -> ConversationSettings:
    found, _ = ConversationSettings.objects.get_or_create(pk=1)
    return found


def seller_side_members_filter() -> Q:
    """Teammates who belong on the seller's side of its conversations."""
    condition = Q()
    for permission in SELLER_SIDE_PERMISSIONS:
        condition |= Q(permissions__contains=[str(permission)])
    return condition


def _still_on_seller_side(participant: Participant) -> bool:
    """The owner always; a teammate while they hold one of the permissions."""
    seller = participant.conversation.seller
    if seller.owner_id == participant.user_id:
        return True
    return (
        TeamMember.objects.filter(seller=seller, user_id=participant.user_id)
        .filter(seller_side_members_filter())
        .exists()
    )


def find_participant(*, conversation_id: int, user_id: int) -> Participant | None:
    participant = (
        Participant.objects.select_related("conversation", "conversation__seller")
        .filter(conversation_id=conversation_id, user_id=user_id)
        .first()
    )
    if participant is None:
        return None
    if participant.role == ParticipantRole.SELLER and not _still_on_seller_side(participant):
        return None
    return participant


def participant_or_404(*, conversation_id: int, user_id: int) -> Participant:
    """The user's place in the conversation; anyone else gets not-found (never forbidden:
    whether a conversation exists is not theirs to learn)."""
    participant = find_participant(conversation_id=conversation_id, user_id=user_id)
    if participant is None:
        raise not_found(ConversationErrorCode.CONVERSATION_NOT_FOUND, "No such conversation.")
    return participant


def can_join(user_id: int, conversation_id: int) -> bool:
    """The real-time topic's check: only participants hear a conversation."""
    return find_participant(conversation_id=conversation_id, user_id=user_id) is not None


def unread_total(user_id: int) -> int:
    """Unread messages over all the user's conversations: one SUM over the covering index
    ``participant_unread``; the same cost whatever the history."""
    total = Participant.objects.filter(user_id=user_id).aggregate(total=Sum("unread_count"))
    return int(total["total"] or 0)


def inbox_queryset(user_id: int, *, is_archived: bool | None = False) -> QuerySet[Participant]:
    """The user's participations with everything a row of the inbox shows (one query);
    ``is_archived=None`` for both."""
    queryset = Participant.objects.filter(user_id=user_id)
    if is_archived is not None:
        queryset = queryset.filter(is_archived=is_archived)
    # Four joins, no more: the planner's time grows with each (the product's name is the
    # conversation's title; the last message's sender is the buyer or the shop).
    return queryset.select_related(
        "conversation",
        "conversation__seller",
        "conversation__buyer",
        "conversation__last_message",
    )


def conversation_row(*, conversation_id: int, user_id: int) -> Participant:
    """One inbox row (the conversation as this user sees it), or not found."""
    participant = (
        inbox_queryset(user_id, is_archived=None).filter(conversation_id=conversation_id).first()
    )
    if participant is None or (
        participant.role == ParticipantRole.SELLER and not _still_on_seller_side(participant)
    ):
        raise not_found(ConversationErrorCode.CONVERSATION_NOT_FOUND, "No such conversation.")
    return participant


def inbox_page(
    user_id: int, *, is_archived: bool = False, limit: int = 25, cursor: str | None = None
) -> tuple[list[Participant], str | None]:
    """The user's conversations, most recent first, each with its last message and the
    user's unread count: one query per page."""
    return keyset_page(
        inbox_queryset(user_id, is_archived=is_archived),
        ordering=INBOX_ORDERING,
        limit=limit,
        cursor=cursor,
    )


def visible_messages(*, conversation_id: int, viewer_id: int | None) -> QuerySet[Message]:
    """A conversation's messages as ``viewer_id`` may see them: a message automated
    moderation holds is its sender's alone."""
    return Message.objects.filter(conversation_id=conversation_id).filter(
        Q(held_at__isnull=True) | Q(sender_id=viewer_id)
    )


def message_page(
    conversation: Conversation,
    *,
    viewer_id: int | None,
    limit: int = 30,
    cursor: str | None = None,
) -> tuple[list[Message], str | None]:
    """Messages newest first (index ``message_page``), as ``viewer_id`` may see them."""
    queryset = visible_messages(
        conversation_id=conversation.pk, viewer_id=viewer_id
    ).select_related("sender")
    return keyset_page(queryset, ordering=MESSAGE_ORDERING, limit=limit, cursor=cursor)


def counterpart_name(participant: Participant) -> str:
    """Who the participant talks to: the seller's name for the buyer, the buyer's for the
    seller's side and operators."""
    conversation = participant.conversation
    if participant.role == ParticipantRole.BUYER:
        return conversation.seller.business_name
    buyer = conversation.buyer
    return str(buyer.full_name or buyer.email)


def unread_total_expression(user_ref: Any) -> Coalesce:
    """``unread_total`` as an expression, for pages that fold it into a query they make
    anyway (the account menu asks it beside "is this user in a seller?")."""
    per_user = (
        Participant.objects.filter(user_id=user_ref)
        .order_by()
        .values("user_id")
        .annotate(total=Sum("unread_count"))
        .values("total")
    )
    return Coalesce(Subquery(per_user), 0)
