"""Checkout: the cart becomes one order (sub-orders per seller, priced lines), stock and the
discount code are taken, then the order is paid.

Three short transactions instead of one long one, so no lock is held while the provider is
called: (1) place the order, (2) charge the provider under an idempotency key derived from the
payment row, (3) record the result. A crash between (2) and (3) leaves a "processing" payment
that a retry of the same request - or the reconcile task - drives to the same charge again.
The order is unique per (buyer, Idempotency-Key), so the same checkout twice, even
concurrently, makes one order and one charge."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.accounts.models import User
from core.analytics import counters as analytics_counters
from core.commerce.errors import CommerceError, CommerceErrorCode, field_error
from core.commerce.models import (
    Cart,
    CartLine,
    CustomOffer,
    DiscountCode,
    Inventory,
    OfferStatus,
    Order,
    OrderLine,
    OrderStatus,
    OrderTransition,
    Payment,
    PaymentStatus,
    SubOrder,
)
from core.commerce.pricing import BillingAddress, PricedLine, Quote, load_cart_lines, quote
from core.commerce.selectors import commerce_settings
from core.commerce.services.capture import ensure_customer_reference, record_charge_result
from core.errors import ErrorKind
from core.money import Money
from core.payments.providers import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    choose_checkout_provider,
    get_provider,
)
from core.risk.services import assess_checkout as risk_checkout
from core.schema import current_schema_name

# A second request for an order whose payment is in flight waits this long for it to finish.
IN_FLIGHT_WAIT_SECONDS = 10.0
IN_FLIGHT_POLL_SECONDS = 0.05
# How long an unpaid order keeps its stock before the expiry task cancels it.
UNPAID_ORDER_MINUTES = 30


@dataclass(frozen=True)
class CheckoutInput:
    country: str
    region: str = ""
    name: str = ""
    expected_total: int | None = None


@dataclass
class PlacedOrder:
    """An order just placed, with what was written in memory (so paying it and answering the
    buyer need not read it back)."""

    order: Order
    sub_orders: list[SubOrder]
    lines: list[OrderLine]
    payment: Payment | None  # opened with the order by checkout_cart; None for place_order


def preview(*, cart: Cart, buyer: User | None, address: BillingAddress) -> Quote:
    """What checkout would charge now (the cart page and the API's cart view)."""
    return quote(
        load_cart_lines(cart),
        currency=cart.currency,
        settings=commerce_settings(),
        address=address,
        discount_code=cart.discount_code,
        buyer=buyer,
    )


def _clean_address(details: CheckoutInput) -> BillingAddress:
    country = details.country.strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise field_error(
            CommerceErrorCode.INVALID_ADDRESS,
            "country",
            "Give the billing country as its two-letter code (e.g. DE).",
        )
    region = details.region.strip().upper()
    if len(region) > 10:
        raise field_error(CommerceErrorCode.INVALID_ADDRESS, "region", "Region code too long.")
    return BillingAddress(country=country, region=region)


def place_order(*, buyer: User, cart: Cart, details: CheckoutInput, idempotency_key: str) -> Order:
    existing = Order.objects.filter(buyer=buyer, idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    address = _clean_address(details)
    try:
        with transaction.atomic():
            return _place(buyer, cart, address, details, idempotency_key, opens_payment=False).order
    except IntegrityError:
        # The same key placed concurrently: the other request's order is the order.
        order = Order.objects.filter(buyer=buyer, idempotency_key=idempotency_key).first()
        if order is None:
            raise
        return order


def _place(
    buyer: User,
    cart: Cart,
    address: BillingAddress,
    details: CheckoutInput,
    key: str,
    payment_method: str = "",
    save_method: bool = False,
    *,
    opens_payment: bool = True,
    provider: str = "",
) -> PlacedOrder:
    """``opens_payment``: the first payment attempt is written with the order (checkout pays
    it at once); place_order's callers pay later with pay_order."""
    cart_lines = load_cart_lines(cart)
    if not cart_lines:
        raise field_error(CommerceErrorCode.CART_EMPTY, "cart", "Your cart is empty.")
    settings = commerce_settings()
    priced = quote(
        cart_lines,
        currency=cart.currency,
        settings=settings,
        address=address,
        discount_code=cart.discount_code,
        buyer=buyer,
    )
    if details.expected_total is not None and details.expected_total != priced.total:
        raise CommerceError(
            CommerceErrorCode.TOTAL_CHANGED,
            "The total changed since you saw it; review your cart.",
            details={"expected": details.expected_total, "total": priced.total},
            kind=ErrorKind.CONFLICT,
        )
    is_recurring = any(line.recurring_price for line in priced.lines)
    provider = choose_checkout_provider(provider, is_recurring=is_recurring)
    _take_stock(priced.lines)
    if priced.discount_code is not None:
        _redeem(priced.discount_code)
    _accept_offers(priced.lines)
    order = Order.objects.create(
        buyer=buyer,
        email=buyer.email,
        currency=priced.currency,
        subtotal=priced.subtotal,
        discount_total=priced.discount_total,
        tax_total=priced.tax_total,
        total=priced.total,
        commission_total=priced.commission_total,
        prices_include_tax=priced.prices_include_tax,
        billing_country=address.country,
        billing_region=address.region,
        billing_name=(details.name or buyer.full_name)[:150],
        discount_code=priced.discount_code.code if priced.discount_code else "",
        provider=provider,
        idempotency_key=key,
    )
    sub_orders, lines = write_order_lines(order, priced)
    analytics_counters.record_checkout_started(product_ids=[line.product_id for line in lines])
    OrderTransition.objects.create(
        order=order, to_status=OrderStatus.PENDING_PAYMENT, actor=buyer, actor_label="buyer"
    )
    # Subscriptions renew off-session: their method is always kept. PayPal keeps none.
    keep_method = (save_method or is_recurring) and provider != "paypal"
    payment = None
    if opens_payment:
        payment = Payment.objects.create(
            order=order,
            provider=order.provider,
            currency=order.currency,
            amount=order.total,
            payment_method=payment_method[:120],
            charge_options={
                "save_method": keep_method,
                "customer_reference": "",
                "off_session": False,
            },
        )
    _empty_cart(cart)
    return PlacedOrder(order, sub_orders, lines, payment)


def _empty_cart(cart: Cart) -> None:
    """One DELETE (a queryset delete would first select the rows for its collector)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {CartLine._meta.db_table} WHERE cart_id = %s", [cart.pk])
    if cart.discount_code_id is not None:
        Cart.objects.filter(pk=cart.pk).update(discount_code=None)


def write_order_lines(order: Order, priced: Quote) -> tuple[list[SubOrder], list[OrderLine]]:
    """Sub-orders per seller and the priced lines (two INSERTs whatever the size)."""
    groups = priced.by_seller()
    sub_orders = SubOrder.objects.bulk_create(
        SubOrder(
            order=order,
            seller=lines[0].product.seller,
            subtotal=sum(line.subtotal for line in lines),
            discount_total=sum(line.discount for line in lines),
            tax_total=sum(line.tax for line in lines),
            total=sum(line.total for line in lines),
            commission_total=sum(line.commission for line in lines),
            seller_net=sum(line.seller_net for line in lines),
        )
        for seller_id, lines in groups.items()
    )
    by_seller = {sub.seller_id: sub for sub in sub_orders}
    lines = OrderLine.objects.bulk_create(
        _order_line(order, by_seller[line.product.seller_id], line) for line in priced.lines
    )
    return sub_orders, lines


def _order_line(order: Order, sub_order: SubOrder, line: PricedLine) -> OrderLine:
    return OrderLine(
        order=order,
        sub_order=sub_order,
        product=line.product,
        variant=line.variant,
        recurring_price=line.recurring_price,
        bundle=line.bundle,
        offer=line.offer,
        product_type=line.product.product_type,
        title=line.title,
        quantity=line.quantity,
        unit_amount=line.unit_amount,
        subtotal=line.subtotal,
        discount_amount=line.discount,
        tax_rate_bp=line.tax_rate_bp,
        tax_name=line.tax_name,
        tax_amount=line.tax,
        total=line.total,
        commission_rate_bp=line.commission_rate_bp,
        commission_amount=line.commission,
        seller_net=line.seller_net,
        is_escrow=line.is_escrow,
    )


def _take_stock(lines: list[PricedLine]) -> None:
    """A guarded decrement per limited item: concurrent buyers queue on the row, and the one
    who would take it below zero matches no row and is refused."""
    wanted: dict[tuple[int, int | None], int] = defaultdict(int)
    names: dict[tuple[int, int | None], str] = {}
    for line in lines:
        key = (line.product.pk, line.variant.pk if line.variant else None)
        wanted[key] += line.quantity
        names[key] = line.product.name
    limited = {
        (row.product_id, row.variant_id)
        for row in Inventory.objects.filter(product_id__in={pid for pid, _ in wanted}).only(
            "product_id", "variant_id"
        )
    }
    for key in sorted(wanted.keys() & limited, key=lambda k: (k[0], k[1] or 0)):
        product_id, variant_id = key
        taken = Inventory.objects.filter(
            product_id=product_id, variant_id=variant_id, available__gte=wanted[key]
        ).update(available=F("available") - wanted[key])
        if not taken:
            raise field_error(
                CommerceErrorCode.OUT_OF_STOCK,
                "quantity",
                f"Not enough of '{names[key]}' left.",
                product_id=product_id,
            )


def release_stock(order: Order) -> None:
    for line in order.lines.all():
        Inventory.objects.filter(product_id=line.product_id, variant_id=line.variant_id).update(
            available=F("available") + line.quantity
        )


def _redeem(code: DiscountCode) -> None:
    taken = DiscountCode.objects.filter(
        Q(max_redemptions__isnull=True) | Q(redemptions__lt=F("max_redemptions")), pk=code.pk
    ).update(redemptions=F("redemptions") + 1)
    if not taken:
        raise field_error(
            CommerceErrorCode.DISCOUNT_EXHAUSTED, "code", "This code has been used up."
        )


def _accept_offers(lines: list[PricedLine]) -> None:
    offer_ids = {line.offer.pk for line in lines if line.offer is not None}
    if not offer_ids:
        return
    accepted = CustomOffer.objects.filter(pk__in=offer_ids, status=OfferStatus.OPEN).update(
        status=OfferStatus.ACCEPTED
    )
    if accepted != len(offer_ids):
        raise field_error(
            CommerceErrorCode.OFFER_UNAVAILABLE, "offer_id", "An offer in your cart has closed."
        )


# --- Paying -------------------------------------------------------------------------------


def checkout_cart(
    *,
    buyer: User,
    cart: Cart,
    details: CheckoutInput,
    idempotency_key: str,
    payment_method: str,
    save_method: bool = False,
    provider: str = "",
) -> tuple[Order, Payment, PlacedOrder | None]:
    """Place the cart's order and charge it. A retry of the same key drives the order it
    placed before (``PlacedOrder`` is then None: nothing was written by this call)."""
    existing = Order.objects.filter(buyer=buyer, idempotency_key=idempotency_key).first()
    if existing is None:
        address = _clean_address(details)
        try:
            with transaction.atomic():
                placed = _place(
                    buyer,
                    cart,
                    address,
                    details,
                    idempotency_key,
                    payment_method,
                    save_method,
                    provider=provider,
                )
        except (IntegrityError, CommerceError):
            # The same key placed concurrently (the order insert hit the unique key, or the
            # other request emptied the cart first): its order is this checkout's order.
            existing = Order.objects.filter(buyer=buyer, idempotency_key=idempotency_key).first()
            if existing is None:
                raise
    if existing is not None:
        return existing, pay_order(order=existing, payment_method=payment_method), None
    payment = placed.payment
    assert payment is not None  # opened by _place
    # Fraud checks before the provider hears of it: a block raises (order cancelled, nothing
    # charged or booked); a review lets the charge go ahead but holds fulfilment.
    assessment = risk_checkout.assess_checkout(order=placed.order, payment=payment)
    if placed.order.total == 0 or payment.charge_options["save_method"]:
        # Saving a method needs the provider's customer; a free order needs no charge.
        return placed.order, _pay_with_customer(placed.order, payment), placed
    result = get_provider(payment.provider).charge(charge_request_for(payment))
    assessment = risk_checkout.after_charge(assessment=assessment, result=result)
    recorded = record_charge_result(
        payment_id=payment.pk,
        result=result,
        actor_label="buyer",
        known=(placed.sub_orders, placed.lines),
        is_held=assessment.is_held,
    )
    return placed.order, recorded, placed


def charge_order(*, order: Order, payment_method: str, save_method: bool = False) -> Payment:
    """Pay an unpaid order again (after a decline); a subscription's method is always kept
    for its renewals."""
    save = save_method or order.lines.filter(recurring_price__isnull=False).exists()
    customer = ensure_customer_reference(order=order) if save else ""
    return pay_order(
        order=order, payment_method=payment_method, save_method=save, customer_reference=customer
    )


def _pay_with_customer(order: Order, payment: Payment) -> Payment:
    """The just-placed payment, charged with the buyer's customer at the provider (a saved
    method belongs to a customer)."""
    customer = ensure_customer_reference(order=order)
    payment.charge_options = {**payment.charge_options, "customer_reference": customer}
    Payment.objects.filter(pk=payment.pk).update(charge_options=payment.charge_options)
    return charge_open_payment(order, payment, actor_label="buyer")


def pay_order(
    *,
    order: Order,
    payment_method: str,
    save_method: bool = False,
    customer_reference: str = "",
    off_session: bool = False,
    actor_label: str = "buyer",
) -> Payment:
    """Charge the order (or finish a charge already in flight for it)."""
    payment = _open_payment(
        order,
        payment_method,
        {
            "save_method": save_method,
            "customer_reference": customer_reference,
            "off_session": off_session,
        },
    )
    if payment.status != PaymentStatus.PROCESSING:
        return payment  # already succeeded, or waiting for the buyer's 3-D Secure step
    if not off_session:
        # Another card after a decline is judged on its own before it is charged (card
        # testing retries one order); a block raises with the order cancelled.
        risk_checkout.assess_retry(order=order, payment=payment)
    return charge_open_payment(order, payment, actor_label=actor_label)


def charge_open_payment(order: Order, payment: Payment, *, actor_label: str) -> Payment:
    """Ask the provider for a processing payment, with the options it was opened with."""
    if order.total == 0:
        result = ChargeResult(ChargeStatus.SUCCEEDED, f"free_{payment.pk}")
        if payment.charge_options.get("save_method"):
            # Nothing to charge now, but renewals will need the method (a trial).
            result = get_provider(order.provider).setup_method(
                payment_method=payment.payment_method,
                customer_reference=str(payment.charge_options.get("customer_reference", "")),
                idempotency_key=payment_idempotency_key(payment),
            )
        return record_charge_result(payment_id=payment.pk, result=result, actor_label=actor_label)
    result = get_provider(order.provider).charge(charge_request_for(payment))
    return record_charge_result(payment_id=payment.pk, result=result, actor_label=actor_label)


def charge_request_for(payment: Payment) -> ChargeRequest:
    """The provider request of a payment, rebuilt identically on every retry (a provider
    refuses an idempotency key reused with different parameters)."""
    options = payment.charge_options
    return ChargeRequest(
        amount=Money(payment.amount, payment.currency),
        payment_method=payment.payment_method,
        idempotency_key=payment_idempotency_key(payment),
        description=f"Order {payment.order_id}",
        customer_reference=str(options.get("customer_reference", "")),
        save_method=bool(options.get("save_method", False)),
        off_session=bool(options.get("off_session", False)),
        transfer_group=f"order-{payment.order_id}",
        metadata={
            "order_id": str(payment.order_id),
            "payment_id": str(payment.pk),
            "schema": current_schema_name(),
        },
    )


def payment_idempotency_key(payment: Payment) -> str:
    return f"{current_schema_name()}-payment-{payment.pk}"


def _open_payment(order: Order, payment_method: str, options: dict[str, object]) -> Payment:
    """The payment to drive: a succeeded or in-flight one if there is one (waiting briefly for
    a concurrent request's charge to finish), else a new attempt."""
    deadline = time.monotonic() + IN_FLIGHT_WAIT_SECONDS
    while True:
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            current = (
                Payment.objects.filter(order=locked)
                .exclude(status=PaymentStatus.FAILED)
                .order_by("-id")
                .first()
            )
            if current is None:
                if locked.status != OrderStatus.PENDING_PAYMENT:
                    raise CommerceError(
                        CommerceErrorCode.PAYMENT_NOT_PENDING,
                        f"This order is {locked.get_status_display().lower()}.",
                        kind=ErrorKind.CONFLICT,
                    )
                return Payment.objects.create(
                    order=locked,
                    provider=locked.provider,
                    currency=locked.currency,
                    amount=locked.total,
                    payment_method=payment_method[:120],
                    charge_options=options,
                )
        is_fresh = current.updated_at > timezone.now() - timedelta(seconds=IN_FLIGHT_WAIT_SECONDS)
        if current.status != PaymentStatus.PROCESSING or not is_fresh:
            return current
        if time.monotonic() > deadline:
            return current  # stale: drive it again under the same provider key
        time.sleep(IN_FLIGHT_POLL_SECONDS)
