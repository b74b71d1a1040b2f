"""Opening a conversation, who takes part, archiving and blocking."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.accounts.models import User
from core.catalog.models import Product, ProductStatus
from core.commerce.models import Order, OrderLine
from core.conversations import selectors
from core.conversations.errors import (
    ConversationError,
    ConversationErrorCode,
    invalid,
    not_found,
)
from core.conversations.models import (
    Conversation,
    ConversationStatus,
    Participant,
    ParticipantRole,
)
from core.conversations.services.live import announce_status
from core.errors import ErrorKind
from core.sellers.models import Seller, SellerStatus, TeamMember


def _subject(
    *,
    buyer_id: int,
    seller: Seller,
    product_id: int | None,
    order_id: int | None,
    order_line_id: int | None,
) -> tuple[str, dict[str, Any]]:
    """The subject key, after checking the buyer may talk about it with this seller: a
    product of the seller (published, or one the buyer ordered), the buyer's own order with
    this seller, or a line of it."""
    if order_line_id is not None:
        line = (
            OrderLine.objects.select_related("order", "sub_order")
            .filter(pk=order_line_id, order__buyer_id=buyer_id, sub_order__seller=seller)
            .first()
        )
        if line is None:
            raise not_found(ConversationErrorCode.ORDER_NOT_FOUND, "No such order line.")
        return f"line:{line.pk}", {
            "order_line_id": line.pk,
            "order_id": line.order_id,
            "product_id": line.product_id,
            "title": f"Order {line.order_id}: {line.title}"[:200],
        }
    if order_id is not None:
        order = Order.objects.filter(
            pk=order_id, buyer_id=buyer_id, sub_orders__seller=seller
        ).first()
        if order is None:
            raise not_found(ConversationErrorCode.ORDER_NOT_FOUND, "No such order.")
        return f"order:{order.pk}", {"order_id": order.pk, "title": f"Order {order.pk}"}
    if product_id is not None:
        product = Product.objects.filter(pk=product_id, seller=seller).first()
        is_visible = product is not None and (
            product.status == ProductStatus.PUBLISHED
            or OrderLine.objects.filter(product_id=product_id, order__buyer_id=buyer_id).exists()
        )
        if product is None or not is_visible:
            raise not_found(ConversationErrorCode.PRODUCT_NOT_FOUND, "No such product.")
        return f"product:{product_id}", {"product_id": product_id, "title": product.name[:200]}
    return "", {}


def open_conversation(
    *,
    buyer_id: int,
    seller_id: int,
    product_id: int | None = None,
    order_id: int | None = None,
    order_line_id: int | None = None,
) -> Conversation:
    """The conversation of this buyer with this seller about this subject, made on first
    use with its participants: the buyer, the seller's owner and the teammates who hold
    manage_customers or process_orders."""
    seller = Seller.objects.filter(pk=seller_id, status=SellerStatus.ACTIVE).first()
    if seller is None:
        raise not_found(ConversationErrorCode.SELLER_NOT_FOUND, "No such seller.")
    if seller.owner_id == buyer_id:
        raise invalid(
            ConversationErrorCode.CANNOT_MESSAGE_YOURSELF,
            "seller_id",
            "This is your own shop; you cannot message yourself.",
        )
    subject, links = _subject(
        buyer_id=buyer_id,
        seller=seller,
        product_id=product_id,
        order_id=order_id,
        order_line_id=order_line_id,
    )
    existing = Conversation.objects.filter(
        buyer_id=buyer_id, seller=seller, subject=subject
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                buyer_id=buyer_id, seller=seller, subject=subject, **links
            )
            now = timezone.now()
            seller_side = {seller.owner_id} | set(
                TeamMember.objects.filter(seller=seller)
                .filter(selectors.seller_side_members_filter())
                .values_list("user_id", flat=True)
            )
            seller_side.discard(buyer_id)
            Participant.objects.bulk_create(
                [
                    Participant(
                        conversation=conversation,
                        user_id=buyer_id,
                        role=ParticipantRole.BUYER,
                        last_message_at=now,
                    ),
                    *(
                        Participant(
                            conversation=conversation,
                            user_id=user_id,
                            role=ParticipantRole.SELLER,
                            last_message_at=now,
                        )
                        for user_id in sorted(seller_side)
                    ),
                ]
            )
    except IntegrityError:  # opened meanwhile by another request
        return Conversation.objects.get(buyer_id=buyer_id, seller=seller, subject=subject)
    return conversation


def add_participant(*, conversation_id: int, user_id: int, role: str) -> None:
    """Bring someone in (an operator handling a dispute); idempotent."""
    if role not in ParticipantRole.values:
        raise invalid(ConversationErrorCode.INVALID_ROLE, "role", f"Unknown role {role!r}.")
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        raise not_found(ConversationErrorCode.CONVERSATION_NOT_FOUND, "No such conversation.")
    if not User.objects.filter(pk=user_id).exists():
        raise invalid(ConversationErrorCode.INVALID_ROLE, "user_id", "No such user.")
    Participant.objects.get_or_create(
        conversation=conversation,
        user_id=user_id,
        defaults={"role": role, "last_message_at": conversation.last_message_at or timezone.now()},
    )


def join_seller_conversations(*, seller: Seller, user_id: int) -> int:
    """A teammate granted manage_customers or process_orders after conversations opened joins
    them (the studio inbox calls this); returns how many they joined."""
    is_on_side = seller.owner_id == user_id or (
        TeamMember.objects.filter(seller=seller, user_id=user_id)
        .filter(selectors.seller_side_members_filter())
        .exists()
    )
    if not is_on_side:
        return 0
    missing = list(
        Conversation.objects.filter(seller=seller)
        .exclude(participants__user_id=user_id)
        .exclude(buyer_id=user_id)
        .values_list("pk", "last_message_at", "created_at")
    )
    Participant.objects.bulk_create(
        [
            Participant(
                conversation_id=pk,
                user_id=user_id,
                role=ParticipantRole.SELLER,
                last_message_at=last or created,
            )
            for pk, last, created in missing
        ],
        ignore_conflicts=True,
    )
    return len(missing)


def archive_conversation(*, conversation_id: int, user_id: int, is_archived: bool) -> None:
    """Archive (or bring back) the conversation in this user's inbox only; a new message
    brings it back by itself."""
    participant = selectors.participant_or_404(conversation_id=conversation_id, user_id=user_id)
    Participant.objects.filter(pk=participant.pk).update(is_archived=is_archived)


def set_conversation_status(*, conversation_id: int, status: str) -> None:
    """Close a conversation for everyone (archived: no new messages) or reopen it."""
    if status not in ConversationStatus.values:
        raise invalid(ConversationErrorCode.INVALID_ROLE, "status", f"Unknown status {status!r}.")
    changed = (
        Conversation.objects.filter(pk=conversation_id).exclude(status=status).update(status=status)
    )
    if changed:
        announce_status(conversation_id=conversation_id, status=status)


def block_conversation(*, conversation_id: int, user_id: int, is_blocked: bool) -> None:
    """The user refuses (or accepts again) messages from the other side of the conversation."""
    participant = selectors.participant_or_404(conversation_id=conversation_id, user_id=user_id)
    if participant.role == ParticipantRole.OPERATOR:
        raise ConversationError(
            ConversationErrorCode.BLOCKED,
            "Operators do not block; close the conversation instead.",
            kind=ErrorKind.CONFLICT,
        )
    Participant.objects.filter(pk=participant.pk).update(
        blocked_at=timezone.now() if is_blocked else None
    )
