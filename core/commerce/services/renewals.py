"""Orders a subscription makes without a cart: a renewal (the recurring price for the next
period) or a prorated upgrade (the difference for the rest of the period).

They are priced the way checkout prices a line - tax by the first order's billing country and
region, the marketplace's commission, escrow by product type - with no discount code (a code
applies to the checkout it was entered at, not to every renewal after it). An order is unique
per (buyer, idempotency key): the caller's key names the period (``renewal:<subscription
id>:<period start>``) or the request, so a retried beat run or a replayed request finds the
order it made before instead of making a second. No stock is taken: the buyer already holds
the unit the subscription is for."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from core.accounts.models import User
from core.catalog.models import Product
from core.commerce.errors import CommerceError, CommerceErrorCode
from core.commerce.models import Order, OrderStatus, OrderTransition, Payment, RecurringPrice
from core.commerce.pricing import (
    BillingAddress,
    PricedLine,
    Quote,
    apply_tax_and_commission,
    check_purchasable,
)
from core.commerce.selectors import commerce_settings
from core.commerce.services.capture import ensure_customer_reference
from core.commerce.services.checkout import pay_order, write_order_lines
from core.errors import ErrorKind


def renewal_key(*, subscription_id: int, period_start_iso: str) -> str:
    return f"renewal:{subscription_id}:{period_start_iso}"


def place_subscription_order(
    *,
    subscription_id: int,
    buyer: User,
    recurring_price: RecurringPrice,
    amount: int,
    billing_order: Order,
    provider: str,
    idempotency_key: str,
    actor_label: str,
) -> Order:
    """The order for ``amount`` (before tax) of ``recurring_price``, or the one this key made
    before. Raises CommerceError when the product can no longer be sold."""
    existing = Order.objects.filter(buyer=buyer, idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_subscription(existing, subscription_id)
    try:
        with transaction.atomic():
            return _place(
                subscription_id=subscription_id,
                buyer=buyer,
                recurring_price=recurring_price,
                amount=amount,
                billing_order=billing_order,
                provider=provider,
                idempotency_key=idempotency_key,
                actor_label=actor_label,
            )
    except IntegrityError:
        order = Order.objects.filter(buyer=buyer, idempotency_key=idempotency_key).first()
        if order is None:
            raise
        return _same_subscription(order, subscription_id)


def _same_subscription(order: Order, subscription_id: int) -> Order:
    if order.subscription_id != subscription_id:  # the buyer's own checkout used this key
        raise CommerceError(
            CommerceErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This key belongs to another order.",
            details={"order_id": order.pk},
            kind=ErrorKind.CONFLICT,
        )
    return order


def _place(
    *,
    subscription_id: int,
    buyer: User,
    recurring_price: RecurringPrice,
    amount: int,
    billing_order: Order,
    provider: str,
    idempotency_key: str,
    actor_label: str,
) -> Order:
    product = Product.objects.select_related("seller").get(pk=recurring_price.product_id)
    check_purchasable(product, field_name="recurring_price_id")
    line = PricedLine(
        product=product,
        variant=recurring_price.variant,
        recurring_price=recurring_price,
        quantity=1,
        subtotal=amount,
        unit_amount=amount,
    )
    settings = commerce_settings()
    currency = recurring_price.currency
    apply_tax_and_commission(
        [line],
        currency=currency,
        settings=settings,
        address=BillingAddress(billing_order.billing_country, billing_order.billing_region),
    )
    priced = Quote(currency=currency, prices_include_tax=settings.prices_include_tax, lines=[line])
    order = Order.objects.create(
        buyer=buyer,
        email=buyer.email,
        currency=currency,
        subtotal=priced.subtotal,
        tax_total=priced.tax_total,
        total=priced.total,
        commission_total=priced.commission_total,
        prices_include_tax=priced.prices_include_tax,
        billing_country=billing_order.billing_country,
        billing_region=billing_order.billing_region,
        billing_name=billing_order.billing_name,
        provider=provider,
        idempotency_key=idempotency_key,
        subscription_id=subscription_id,
    )
    write_order_lines(order, priced)
    OrderTransition.objects.create(
        order=order, to_status=OrderStatus.PENDING_PAYMENT, actor_label=actor_label
    )
    return order


def charge_subscription_order(
    *, order: Order, payment_method: str, is_off_session: bool, actor_label: str
) -> Payment:
    """Charge the order with a saved method: off-session for renewals (the buyer is not there;
    a card that wants 3-D Secure fails), on-session for an upgrade the buyer asked for."""
    return pay_order(
        order=order,
        payment_method=payment_method,
        customer_reference=ensure_customer_reference(order=order),
        off_session=is_off_session,
        actor_label=actor_label,
    )
