"""The buyer back from PayPal. Checkout placed the order and created a PayPal order whose
approval link the buyer followed; PayPal then sends them to the marketplace's return URL
(approved: the order is captured and booked) or cancel URL (the order is cancelled, its stock
and discount given back, and its lines put back in the buyer's cart, as they were).

PayPal names its order in ``?token=``; it is looked up among this buyer's payments in this
marketplace's schema only, so another buyer's or another marketplace's token finds nothing."""

from __future__ import annotations

from django.db import transaction

from core.accounts.models import User
from core.commerce.errors import CommerceError, CommerceErrorCode
from core.commerce.models import BundleItem, Cart, CartLine, Order, Payment, PaymentStatus
from core.commerce.services.capture import record_charge_result
from core.commerce.services.cart import get_or_create_cart
from core.commerce.services.payment_events import cancel_order
from core.errors import ErrorKind
from core.payments.providers import ChargeResult, ChargeStatus, get_provider

PROVIDER = "paypal"


def _payment(buyer: User, token: str) -> Payment:
    payment = (
        Payment.objects.select_related("order")
        .filter(provider=PROVIDER, reference=token, order__buyer=buyer)
        .order_by("-id")
        .first()
        if token
        else None
    )
    if payment is None:
        raise CommerceError(
            CommerceErrorCode.ORDER_NOT_FOUND, "No such PayPal payment.", kind=ErrorKind.NOT_FOUND
        )
    return payment


def complete_paypal_approval(*, buyer: User, token: str) -> Payment:
    """Capture the approved PayPal order (once: a reload, or the capture webhook arriving
    first, finds the payment already settled and captures nothing again). The provider is
    called outside any lock; recording the result books the order."""
    payment = _payment(buyer, token)
    if payment.status != PaymentStatus.REQUIRES_ACTION:
        return payment
    result = get_provider(PROVIDER).confirm(reference=token, confirmation="")
    return record_charge_result(payment_id=payment.pk, result=result, actor_label="buyer")


def cancel_paypal_checkout(*, buyer: User, token: str) -> Order:
    """The buyer turned back at PayPal: the order is cancelled and its lines return to the
    cart. A payment already captured (approved in another tab) is left alone."""
    payment = _payment(buyer, token)
    order = payment.order
    if payment.status != PaymentStatus.REQUIRES_ACTION:
        return order
    with transaction.atomic():
        record_charge_result(
            payment_id=payment.pk,
            result=ChargeResult(
                ChargeStatus.FAILED, token, "cancelled_by_buyer", "You cancelled at PayPal."
            ),
            actor_label="buyer",
        )
        if cancel_order(
            order_id=order.pk, actor=buyer, actor_label="buyer", note="cancelled at PayPal"
        ):
            _restore_cart(order, get_or_create_cart(buyer=buyer, token=None))
    return order


def _restore_cart(order: Order, cart: Cart) -> None:
    """The order's lines back in the cart (a bundle as one line again); lines the buyer has
    added meanwhile are kept, and the same item already there gets the order's quantity."""
    lines = list(order.lines.order_by("id"))
    bundle_quantity: dict[int, int] = {}
    for item in BundleItem.objects.filter(
        bundle_id__in={ln.bundle_id for ln in lines if ln.bundle_id}
    ):
        for line in lines:
            if line.bundle_id == item.bundle_id and line.product_id == item.product_id:
                bundle_quantity.setdefault(item.bundle_id, max(line.quantity // item.quantity, 1))
    for line in lines:
        if line.bundle_id is not None:
            if line.bundle_id in bundle_quantity:
                CartLine.objects.update_or_create(
                    cart=cart,
                    bundle_id=line.bundle_id,
                    product=None,
                    variant=None,
                    recurring_price=None,
                    offer=None,
                    defaults={"quantity": bundle_quantity.pop(line.bundle_id)},
                )
            continue
        CartLine.objects.update_or_create(
            cart=cart,
            product_id=line.product_id,
            variant_id=line.variant_id,
            recurring_price_id=line.recurring_price_id,
            bundle=None,
            offer_id=line.offer_id,
            defaults={"quantity": line.quantity},
        )
    if order.discount_code and cart.discount_code_id is None:
        from core.commerce.models import DiscountCode

        code = DiscountCode.objects.filter(code=order.discount_code).first()
        if code is not None:
            Cart.objects.filter(pk=cart.pk).update(discount_code=code)
