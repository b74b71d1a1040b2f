"""Operators confirm or overturn an automated hold from the Moderation page. Each kind's own
moderation service does the work (a listing is rejected or approved, a review hidden or
published, a chat message removed or delivered, a profile text discarded or applied) and
tells ``outcomes`` what happened, so a decision made on the listing queue's own buttons
counts the same."""

from __future__ import annotations

from django.db import transaction

from core.accounts.models import User
from core.automod.errors import AutomodError, AutomodErrorCode
from core.automod.models import ContentKind, Decision, Verdict
from core.automod.services.outcomes import operator_released, operator_removed
from core.errors import ErrorKind

DEFAULT_REASON = "It breaks the marketplace's rules."


def _pending(decision_id: int) -> Decision:
    decision = Decision.objects.select_for_update().filter(pk=decision_id).first()
    if decision is None:
        raise AutomodError(
            AutomodErrorCode.DECISION_NOT_FOUND, "No such hold.", kind=ErrorKind.NOT_FOUND
        )
    if decision.verdict != Verdict.PENDING:
        raise AutomodError(
            AutomodErrorCode.ALREADY_DECIDED,
            f"This hold was already handled ({decision.get_verdict_display().lower()}).",
            kind=ErrorKind.CONFLICT,
        )
    return decision


@transaction.atomic
def confirm_hold(*, operator: User, decision_id: int, reason: str = "") -> Decision:
    """The checks were right: the item is taken down for good."""
    decision = _pending(decision_id)
    reason = " ".join(reason.split())[:500] or DEFAULT_REASON
    kind, object_id = ContentKind(decision.kind), decision.object_id
    if kind == ContentKind.LISTING:
        from core.catalog.models import Product
        from core.catalog.services.moderation import reject_product

        product = Product.objects.select_related("seller__owner").get(pk=object_id)
        reject_product(product=product, reason=reason, operator=operator)
    elif kind == ContentKind.REVIEW:
        from core.reviews.services.moderation import remove_held_review

        remove_held_review(operator=operator, review_id=object_id, reason=reason)
    elif kind == ContentKind.MESSAGE:
        from core.conversations.services.moderation import remove_held_message

        remove_held_message(message_id=object_id, operator_id=operator.pk)
    else:
        operator_removed(kind=kind, object_id=object_id, operator_id=operator.pk)
    decision.refresh_from_db()
    return decision


@transaction.atomic
def overturn_hold(*, operator: User, decision_id: int) -> Decision:
    """The checks were wrong: the item goes live as if it had passed."""
    decision = _pending(decision_id)
    kind, object_id = ContentKind(decision.kind), decision.object_id
    if kind == ContentKind.LISTING:
        from core.catalog.models import Product
        from core.catalog.services.moderation import approve_product

        product = Product.objects.select_related("seller__owner").get(pk=object_id)
        approve_product(product=product, operator=operator)
    elif kind == ContentKind.REVIEW:
        from core.reviews.services.moderation import release_held_review

        release_held_review(operator=operator, review_id=object_id)
    elif kind == ContentKind.MESSAGE:
        from core.conversations.services.moderation import release_held_message

        release_held_message(message_id=object_id, operator_id=operator.pk)
    else:
        from core.sellers.services.onboarding import apply_profile_text

        apply_profile_text(seller_id=object_id, bio=decision.pending_text)
        operator_released(kind=kind, object_id=object_id, operator_id=operator.pk)
    decision.refresh_from_db()
    return decision
