"""Buyers' cart, checkout and orders (``/api/v1/cart``, ``/api/v1/checkout``,
``/api/v1/orders``, ``/api/v1/me/offers``). Money-moving POSTs take an ``Idempotency-Key``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Query, Router, Schema

from core.accounts.auth import buyer_auth
from core.accounts.models import TokenScope, User
from core.accounts.principal import Principal, principal_of, require_scope
from core.commerce import presenters, selectors
from core.commerce.errors import CommerceError, CommerceErrorCode, field_error
from core.commerce.models import (
    Cart,
    CustomOffer,
    OfferStatus,
    Order,
    OrderTransition,
    Payment,
    PaymentStatus,
)
from core.commerce.pricing import BillingAddress
from core.commerce.schemas import (
    CartBundleIn,
    CartLineIn,
    CartOfferIn,
    CartOut,
    CheckoutIn,
    CodeIn,
    ConfirmIn,
    CurrencyIn,
    OfferOut,
    OrderOut,
    OrderPageOut,
    PayIn,
    QuantityIn,
)
from core.commerce.services import cart as carts
from core.commerce.services import offers
from core.commerce.services.checkout import (
    CheckoutInput,
    PlacedOrder,
    charge_order,
    checkout_cart,
    preview,
)
from core.commerce.services.payment_events import cancel_order, confirm_payment
from core.errors import DomainError, ErrorKind
from core.idempotency.store import run_idempotent
from core.pagination import keyset_page

# Auth is applied where api/v1.py mounts each router: shopper_auth (visitors too),
# buyer_auth(write), buyer_auth(read) (writes name buyer_auth(write)), buyer_auth(read).
cart_router = Router()
checkout_router = Router()
orders_router = Router()
buyer_offers_router = Router()

CART_TOKEN = carts.SESSION_CART_KEY


def _principal(request: HttpRequest) -> Principal | None:
    return getattr(request, "principal", None)


def _shopper(request: HttpRequest, *, write: bool) -> User | None:
    principal = _principal(request)
    if principal is None:
        return None
    require_scope(principal, TokenScope.WRITE if write else TokenScope.READ)
    return principal.user


def _signed_in_shopper(request: HttpRequest) -> User:
    """The cart router admits visitors (shopper_auth); accepting an offer needs the buyer it
    was made to, signed in with a write token or a session."""
    buyer = _shopper(request, write=True)
    if buyer is None:
        raise CommerceError(
            CommerceErrorCode.ORDER_NOT_FOUND,
            "Sign in to see your orders.",
            kind=ErrorKind.UNAUTHENTICATED,
        )
    return buyer


def _session_token(request: HttpRequest, *, create: bool) -> str | None:
    if not hasattr(request, "session"):
        return None
    token = request.session.get(CART_TOKEN)
    if token is None and create:
        token = carts.new_cart_token()
        request.session[CART_TOKEN] = token
    return token


def _cart(request: HttpRequest, *, create: bool) -> Cart | None:
    buyer = _shopper(request, write=create)
    token = _session_token(request, create=create and buyer is None)
    if create:
        return carts.get_or_create_cart(buyer=buyer, token=token)
    return carts.find_cart(buyer=buyer, token=token)


class CartQuery(Schema):
    country: str = ""
    region: str = ""


def _cart_view(request: HttpRequest, cart: Cart | None, where: CartQuery) -> dict[str, Any]:
    if cart is None:
        return {"id": None, "currency": None, "quote": None, "problems": []}
    try:
        quote = preview(
            cart=cart,
            buyer=_shopper(request, write=False),
            address=BillingAddress(where.country.upper()[:2], where.region.upper()[:10]),
        )
    except DomainError as problem:  # e.g. an item was unpublished: show it, keep the cart
        return {
            "id": cart.pk,
            "currency": cart.currency,
            "quote": None,
            "problems": [
                {"code": str(problem.code), "message": problem.message, "details": problem.details}
            ],
        }
    return {
        "id": cart.pk,
        "currency": cart.currency,
        "quote": presenters.quote_dict(quote),
        "problems": [],
    }


@cart_router.get("", response=CartOut, summary="Your cart, priced (tax needs the billing country)")
def get_cart(request: HttpRequest, where: Query[CartQuery]) -> dict[str, Any]:
    return _cart_view(request, _cart(request, create=False), where)


@cart_router.post(
    "/lines", response=CartOut, summary="Add a product (adds to the quantity if present)"
)
def add_line(request: HttpRequest, payload: CartLineIn) -> dict[str, Any]:
    cart = _cart(request, create=True)
    assert cart is not None
    carts.add_product(
        cart=cart,
        product_id=payload.product_id,
        variant_id=payload.variant_id,
        recurring_price_id=payload.recurring_price_id,
        quantity=payload.quantity,
    )
    return _cart_view(request, cart, CartQuery())


@cart_router.post("/bundles", response=CartOut, summary="Add a package deal")
def add_bundle(request: HttpRequest, payload: CartBundleIn) -> dict[str, Any]:
    cart = _cart(request, create=True)
    assert cart is not None
    carts.add_bundle(cart=cart, bundle_id=payload.bundle_id, quantity=payload.quantity)
    return _cart_view(request, cart, CartQuery())


@cart_router.post("/offers", response=CartOut, summary="Accept a custom offer into the cart")
def add_offer(request: HttpRequest, payload: CartOfferIn) -> dict[str, Any]:
    buyer = _signed_in_shopper(request)
    cart = carts.get_or_create_cart(buyer=buyer, token=None)
    carts.add_offer(cart=cart, buyer=buyer, offer_id=payload.offer_id)
    return _cart_view(request, cart, CartQuery())


def _existing_cart(request: HttpRequest) -> Cart:
    cart = _cart(request, create=False)
    if cart is None:
        raise CommerceError(
            CommerceErrorCode.CART_LINE_NOT_FOUND, "No such cart line.", kind=ErrorKind.NOT_FOUND
        )
    _shopper(request, write=True)
    return cart


@cart_router.patch(
    "/lines/{line_id}", response=CartOut, summary="Change a quantity (0 removes the line)"
)
def change_line(request: HttpRequest, line_id: int, payload: QuantityIn) -> dict[str, Any]:
    cart = _existing_cart(request)
    carts.set_quantity(cart=cart, line_id=line_id, quantity=payload.quantity)
    return _cart_view(request, cart, CartQuery())


@cart_router.delete("/lines/{line_id}", response=CartOut)
def delete_line(request: HttpRequest, line_id: int) -> dict[str, Any]:
    cart = _existing_cart(request)
    carts.remove_line(cart=cart, line_id=line_id)
    return _cart_view(request, cart, CartQuery())


@cart_router.post("/code", response=CartOut, summary="Apply a discount code")
def apply_code(request: HttpRequest, payload: CodeIn) -> dict[str, Any]:
    cart = _cart(request, create=True)
    assert cart is not None
    carts.apply_code(cart=cart, code=payload.code, buyer=_shopper(request, write=True))
    return _cart_view(request, cart, CartQuery())


@cart_router.delete("/code", response=CartOut)
def remove_code(request: HttpRequest) -> dict[str, Any]:
    cart = _existing_cart(request)
    carts.remove_code(cart=cart)
    return _cart_view(request, cart, CartQuery())


@cart_router.put(
    "/currency", response=CartOut, summary="Shop in another of the marketplace's currencies"
)
def set_currency(request: HttpRequest, payload: CurrencyIn) -> dict[str, Any]:
    cart = _cart(request, create=True)
    assert cart is not None
    carts.set_currency(cart=cart, currency=payload.currency)
    return _cart_view(request, cart, CartQuery())


# --- checkout and orders ----------------------------------------------------------------------


def _order_response(
    order_id: int, payment: Payment, placed: PlacedOrder | None = None
) -> tuple[int, dict[str, Any]]:
    if placed is not None:  # just written: only its history is read back
        order: Order | None = payment.order  # as recording the charge left it
        body = presenters.order_dict(
            payment.order,
            payment=payment,
            sub_orders=placed.sub_orders,
            lines=placed.lines,
            transitions=list(OrderTransition.objects.filter(order=placed.order).order_by("id")),
        )
    else:
        order = selectors.any_order(order_id)
        assert order is not None
        body = presenters.order_dict(order, payment=payment)
    assert order is not None
    if payment.status == PaymentStatus.FAILED:
        raise CommerceError(
            CommerceErrorCode.PAYMENT_DECLINED,
            payment.failure_message or "The payment was declined.",
            details={"order_id": order.pk, "failure_code": payment.failure_code},
            kind=ErrorKind.PAYMENT_FAILED,
        )
    if payment.status == PaymentStatus.REQUIRES_ACTION:
        return 202, body
    return 201, body


@checkout_router.post(
    "",
    response={201: OrderOut, 202: OrderOut},
    by_alias=True,
    summary="Place the order for your cart and pay it",
    description="201: paid; 202: the card asks for 3-D Secure (confirm at "
    "/orders/{id}/confirm); 402: declined (the order waits; pay it again with another card "
    "at /orders/{id}/pay). Requires an Idempotency-Key header.",
)
def checkout(request: HttpRequest, payload: CheckoutIn) -> JsonResponse:
    buyer = principal_of(request).user
    body = payload.model_dump()

    def operation(key: str) -> tuple[int, dict[str, Any]]:
        cart = carts.find_cart(buyer=buyer, token=_session_token(request, create=False))
        if cart is None:
            raise field_error(CommerceErrorCode.CART_EMPTY, "cart", "Your cart is empty.")
        order, payment, placed = checkout_cart(
            buyer=buyer,
            cart=cart,
            details=CheckoutInput(
                country=payload.country,
                region=payload.region,
                name=payload.name,
                expected_total=payload.expected_total,
            ),
            idempotency_key=key,
            payment_method=payload.payment_method,
            save_method=payload.save_payment_method,
            provider=payload.provider,
        )
        return _order_response(order.pk, payment, placed)

    return run_idempotent(
        request, user_id=buyer.pk, scope="checkout", body=body, operation=operation
    )


def _own_order(request: HttpRequest, order_id: int) -> Order:
    order = selectors.buyer_order(principal_of(request).user, order_id)
    if order is None:
        raise CommerceError(
            CommerceErrorCode.ORDER_NOT_FOUND, "No such order.", kind=ErrorKind.NOT_FOUND
        )
    return order


class OrderListQuery(Schema):
    limit: int = 20
    cursor: str | None = None
    status: str | None = None


@orders_router.get("", response=OrderPageOut, summary="Your orders, newest first")
def list_orders(request: HttpRequest, params: Query[OrderListQuery]) -> dict[str, Any]:
    queryset = selectors.buyer_orders(principal_of(request).user)
    if params.status:
        queryset = queryset.filter(status=params.status)
    rows, cursor = keyset_page(
        queryset, ordering=("-id",), limit=max(1, min(params.limit, 100)), cursor=params.cursor
    )
    return {"items": [presenters.order_summary(order) for order in rows], "next_cursor": cursor}


def _latest_payment(order: Order) -> Payment | None:
    return Payment.objects.filter(order=order).order_by("-id").first()


@orders_router.get("/{order_id}", response=OrderOut, by_alias=True)
def get_order(request: HttpRequest, order_id: int) -> dict[str, Any]:
    order = _own_order(request, order_id)
    return presenters.order_dict(order, payment=_latest_payment(order))


@orders_router.post(
    "/{order_id}/pay",
    auth=buyer_auth(TokenScope.WRITE),
    response={201: OrderOut, 202: OrderOut},
    by_alias=True,
    summary="Pay an unpaid order (after a decline)",
)
def pay(request: HttpRequest, order_id: int, payload: PayIn) -> JsonResponse:
    order = _own_order(request, order_id)

    def operation(key: str) -> tuple[int, dict[str, Any]]:
        payment = charge_order(order=order, payment_method=payload.payment_method)
        return _order_response(order.pk, payment)

    return run_idempotent(
        request,
        user_id=order.buyer_id,
        scope=f"pay:{order.pk}",
        body=payload.model_dump(),
        operation=operation,
    )


@orders_router.post(
    "/{order_id}/confirm",
    auth=buyer_auth(TokenScope.WRITE),
    response={200: OrderOut, 202: OrderOut},
    by_alias=True,
    summary="Finish a 3-D Secure payment",
)
def confirm(request: HttpRequest, order_id: int, payload: ConfirmIn) -> JsonResponse:
    order = _own_order(request, order_id)
    payment = confirm_payment(order=order, confirmation=payload.confirmation)
    status, body = _order_response(order.pk, payment)
    return JsonResponse(body, status=200 if status == 201 else status)


@orders_router.post(
    "/{order_id}/cancel",
    auth=buyer_auth(TokenScope.WRITE),
    response=OrderOut,
    by_alias=True,
    summary="Cancel an unpaid order",
)
def cancel(request: HttpRequest, order_id: int) -> dict[str, Any]:
    order = _own_order(request, order_id)
    if not cancel_order(order_id=order.pk, actor=order.buyer, actor_label="buyer"):
        raise CommerceError(
            CommerceErrorCode.INVALID_TRANSITION,
            "Only an unpaid order can be cancelled.",
            kind=ErrorKind.CONFLICT,
        )
    refreshed = selectors.buyer_order(order.buyer, order.pk)
    assert refreshed is not None
    return presenters.order_dict(refreshed, payment=_latest_payment(refreshed))


# --- custom offers made to me -----------------------------------------------------------------


@buyer_offers_router.get("", response=list[OfferOut], summary="Custom offers sellers made you")
def my_offers(request: HttpRequest) -> list[dict[str, Any]]:
    buyer = principal_of(request).user
    rows = (
        CustomOffer.objects.filter(buyer=buyer)
        .select_related("seller", "buyer")
        .order_by("-id")[:100]
    )
    return [presenters.offer_dict(offer) for offer in rows]


@buyer_offers_router.post(
    "/{offer_id}/decline", response=OfferOut, auth=buyer_auth(TokenScope.WRITE)
)
def decline_offer(request: HttpRequest, offer_id: int) -> dict[str, Any]:
    buyer = principal_of(request).user
    offer = (
        CustomOffer.objects.select_related("seller", "buyer")
        .filter(pk=offer_id, buyer=buyer)
        .first()
    )
    if offer is None:
        raise CommerceError(
            CommerceErrorCode.OFFER_NOT_FOUND, "No such offer.", kind=ErrorKind.NOT_FOUND
        )
    return presenters.offer_dict(offers.close_offer(offer=offer, status=OfferStatus.DECLINED))
