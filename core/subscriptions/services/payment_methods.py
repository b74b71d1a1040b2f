"""Which saved method a subscription charges: the one its paying order saved, or one the
buyer picks later (to fix a failing card)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.accounts.models import User
from core.commerce.models import Order, Payment, PaymentStatus
from core.payments.models import SavedPaymentMethod
from core.subscriptions.errors import SubscriptionErrorCode, already_cancelled, field_error
from core.subscriptions.models import (
    Subscription,
    SubscriptionEventKind,
    SubscriptionStatus,
)
from core.subscriptions.services.history import record


def method_of_order(order: Order) -> SavedPaymentMethod | None:
    """The saved method behind the order's successful payment. Providers save the method the
    buyer paid with under its own id (Stripe: the ``pm_...`` given) or, for raw test cards in
    the sandbox, under an id ending in the card's last four; failing both, the buyer's
    default at that provider."""
    paid_with = (
        Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED)
        .values_list("payment_method", flat=True)
        .first()
    ) or ""
    methods = SavedPaymentMethod.objects.filter(
        user_id=order.buyer_id, provider=order.provider
    ).order_by("-id")
    exact = methods.filter(reference=paid_with).first() if paid_with else None
    if exact is not None:
        return exact
    digits = "".join(character for character in paid_with if character.isdigit())
    if len(digits) >= 4 and not paid_with.startswith("pm_"):
        by_card = methods.filter(last4=digits[-4:]).first()
        if by_card is not None:
            return by_card
    return methods.filter(is_default=True).first()


@transaction.atomic
def set_payment_method(
    *, subscription: Subscription, payment_method_id: int, actor: User
) -> Subscription:
    """Charge another of the buyer's saved methods from now on; a past-due subscription is
    retried at the next beat run instead of waiting for its next scheduled retry."""
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    method = SavedPaymentMethod.objects.filter(
        user_id=locked.buyer_id, pk=payment_method_id
    ).first()
    if method is None:
        raise field_error(
            SubscriptionErrorCode.PAYMENT_METHOD_NOT_FOUND,
            "payment_method_id",
            "No such saved payment method.",
        )
    if locked.status == SubscriptionStatus.CANCELLED:
        raise already_cancelled()
    locked.payment_method = method
    if locked.status == SubscriptionStatus.PAST_DUE:
        locked.next_attempt_at = timezone.now()
    locked.save(update_fields=["payment_method", "next_attempt_at"])
    record(
        locked,
        SubscriptionEventKind.PAYMENT_METHOD_CHANGED,
        actor=actor,
        actor_label="buyer",
        note=f"{method.brand} ....{method.last4}",
    )
    return locked
