"""Subscriptions over the API: buyers' own (``/api/v1/me/subscriptions``), sellers' recurring
prices and subscribers (``/api/v1/seller/recurring-prices``, ``/api/v1/seller/subscriptions``)
and operators' view (``/api/v1/operator/subscriptions``). Auth is set where ``api/v1.py``
mounts each router; another user's subscription is 404, like one that does not exist."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Query, Router, Status

from core.accounts.auth import buyer_auth
from core.accounts.models import TokenScope, User
from core.accounts.principal import principal_of
from core.commerce import presenters as commerce_presenters
from core.commerce import selectors as commerce_selectors
from core.commerce.models import PaymentStatus, RecurringPrice
from core.errors import ErrorKind
from core.idempotency.store import run_idempotent
from core.pagination import keyset_page
from core.sellers.auth import authorised_seller
from core.subscriptions import presenters, selectors
from core.subscriptions.errors import SubscriptionError, SubscriptionErrorCode, not_found
from core.subscriptions.models import Subscription
from core.subscriptions.schemas import (
    ActiveIn,
    ChangePlanIn,
    OperatorCancelIn,
    PaymentMethodIn,
    PlanChangeOut,
    PriceListQuery,
    RecurringPriceIn,
    RecurringPriceOut,
    RecurringPricePageOut,
    SubscriptionListQuery,
    SubscriptionOut,
    SubscriptionPageOut,
)
from core.subscriptions.services import cancel, change_plan, payment_methods, recurring_prices

# Each router's auth is applied where api/v1.py mounts it: buyer_auth(read) (the writes name
# buyer_auth(write)), seller_team_auth(manage_products), seller_team_auth(process_orders),
# operator_auth().
my_subscriptions_router = Router()  # mounted at /me/subscriptions
seller_recurring_prices_router = Router()  # mounted at /seller/recurring-prices
seller_subscriptions_router = Router()  # mounted at /seller/subscriptions
operator_subscriptions_router = Router()  # mounted at /operator/subscriptions


def _page(queryset: Any, params: SubscriptionListQuery, *, with_buyer: bool) -> dict[str, Any]:
    if params.status:
        queryset = queryset.filter(status=params.status)
    if params.product_id:
        queryset = queryset.filter(product_id=params.product_id)
    rows, cursor = keyset_page(
        queryset, ordering=("-id",), limit=max(1, min(params.limit, 100)), cursor=params.cursor
    )
    return {
        "items": [presenters.subscription_dict(row, with_buyer=with_buyer) for row in rows],
        "next_cursor": cursor,
    }


# --- buyers ------------------------------------------------------------------------------------


def _own(buyer: User, subscription_id: int) -> Subscription:
    subscription = selectors.buyer_subscriptions(buyer).filter(pk=subscription_id).first()
    if subscription is None:
        raise not_found()
    return subscription


def _detail(subscription: Subscription, *, with_buyer: bool = False) -> dict[str, Any]:
    fresh = selectors.all_subscriptions().get(pk=subscription.pk)
    return presenters.subscription_dict(
        fresh, with_buyer=with_buyer, events=selectors.history(fresh)
    )


@my_subscriptions_router.get(
    "", response=SubscriptionPageOut, exclude_unset=True, summary="Your subscriptions, newest first"
)
def my_subscriptions(request: HttpRequest, params: Query[SubscriptionListQuery]) -> dict[str, Any]:
    return _page(
        selectors.buyer_subscriptions(principal_of(request).user), params, with_buyer=False
    )


@my_subscriptions_router.get("/{subscription_id}", response=SubscriptionOut, exclude_unset=True)
def my_subscription(request: HttpRequest, subscription_id: int) -> dict[str, Any]:
    return _detail(_own(principal_of(request).user, subscription_id))


@my_subscriptions_router.post(
    "/{subscription_id}/cancel",
    response=SubscriptionOut,
    exclude_unset=True,
    summary="Cancel at the end of the period paid for",
    auth=buyer_auth(TokenScope.WRITE),
)
def cancel_mine(request: HttpRequest, subscription_id: int) -> dict[str, Any]:
    buyer = principal_of(request).user
    subscription = _own(buyer, subscription_id)
    return _detail(cancel.cancel_at_period_end(subscription=subscription, actor=buyer))


@my_subscriptions_router.post(
    "/{subscription_id}/resume",
    response=SubscriptionOut,
    exclude_unset=True,
    summary="Keep a subscription set to cancel (before it ends)",
    auth=buyer_auth(TokenScope.WRITE),
)
def resume_mine(request: HttpRequest, subscription_id: int) -> dict[str, Any]:
    buyer = principal_of(request).user
    subscription = _own(buyer, subscription_id)
    return _detail(cancel.resume(subscription=subscription, actor=buyer))


@my_subscriptions_router.post(
    "/{subscription_id}/payment-method",
    response=SubscriptionOut,
    exclude_unset=True,
    summary="Charge another of your saved cards",
    auth=buyer_auth(TokenScope.WRITE),
)
def set_method(
    request: HttpRequest, subscription_id: int, payload: PaymentMethodIn
) -> dict[str, Any]:
    buyer = principal_of(request).user
    subscription = _own(buyer, subscription_id)
    return _detail(
        payment_methods.set_payment_method(
            subscription=subscription, payment_method_id=payload.payment_method_id, actor=buyer
        )
    )


@my_subscriptions_router.post(
    "/{subscription_id}/change-plan",
    response={200: PlanChangeOut, 202: PlanChangeOut},
    by_alias=True,
    summary="Switch to another plan of the product",
    description="An upgrade charges the prorated difference for the rest of the period now "
    "(200 paid; 202 the card asks for 3-D Secure: confirm at /orders/{id}/confirm; 402 "
    "declined). A downgrade or another billing interval starts at the next renewal, with no "
    "refund. Requires an Idempotency-Key header.",
    auth=buyer_auth(TokenScope.WRITE),
)
def change_mine(request: HttpRequest, subscription_id: int, payload: ChangePlanIn) -> JsonResponse:
    buyer = principal_of(request).user
    subscription = _own(buyer, subscription_id)

    def operation(key: str) -> tuple[int, dict[str, Any]]:
        change = change_plan.change_plan(
            subscription=subscription,
            recurring_price_id=payload.recurring_price_id,
            actor=buyer,
            idempotency_key=key,
        )
        order_body = None
        if change.order is not None:
            order = commerce_selectors.any_order(change.order.pk)
            assert order is not None
            order_body = commerce_presenters.order_dict(order, payment=change.payment)
        payment = change.payment
        if payment is not None and payment.status == PaymentStatus.FAILED:
            raise SubscriptionError(
                SubscriptionErrorCode.PAYMENT_DECLINED,
                payment.failure_message or "The payment was declined.",
                details={"order_id": payment.order_id, "failure_code": payment.failure_code},
                kind=ErrorKind.PAYMENT_FAILED,
            )
        body = {"change": change.kind, "subscription": _detail(subscription), "order": order_body}
        is_waiting = payment is not None and payment.status == PaymentStatus.REQUIRES_ACTION
        return (202 if is_waiting else 200), body

    return run_idempotent(
        request,
        user_id=buyer.pk,
        scope=f"change-plan:{subscription.pk}",
        body=payload.model_dump(),
        operation=operation,
    )


# --- sellers -----------------------------------------------------------------------------------


@seller_recurring_prices_router.get(
    "", response=RecurringPricePageOut, summary="Your products' recurring prices"
)
def seller_prices(request: HttpRequest, params: Query[PriceListQuery]) -> dict[str, Any]:
    seller = authorised_seller(request)
    queryset = RecurringPrice.objects.filter(product__seller=seller)
    if params.product_id:
        queryset = queryset.filter(product_id=params.product_id)
    rows, cursor = keyset_page(
        queryset, ordering=("-id",), limit=max(1, min(params.limit, 100)), cursor=params.cursor
    )
    return {"items": [presenters.price_dict(row) for row in rows], "next_cursor": cursor}


@seller_recurring_prices_router.post(
    "", response={201: RecurringPriceOut}, summary="Sell a product by subscription"
)
def seller_create_price(request: HttpRequest, payload: RecurringPriceIn) -> Status[dict[str, Any]]:
    seller = authorised_seller(request)
    price = recurring_prices.create_recurring_price(
        seller=seller,
        data=recurring_prices.RecurringPriceData(
            product_id=payload.product_id,
            variant_id=payload.variant_id,
            interval=payload.interval,
            interval_count=payload.interval_count,
            currency=payload.currency,
            amount=payload.amount,
            trial_days=payload.trial_days,
        ),
    )
    return Status(201, presenters.price_dict(price))


@seller_recurring_prices_router.patch(
    "/{price_id}",
    response=RecurringPriceOut,
    summary="Retire a price (its subscribers keep it) or offer it again",
)
def seller_update_price(request: HttpRequest, price_id: int, payload: ActiveIn) -> dict[str, Any]:
    seller = authorised_seller(request)
    price = RecurringPrice.objects.filter(pk=price_id, product__seller=seller).first()
    if price is None:
        raise SubscriptionError(
            SubscriptionErrorCode.RECURRING_PRICE_NOT_FOUND,
            "No such price.",
            kind=ErrorKind.NOT_FOUND,
        )
    updated = recurring_prices.set_recurring_price_active(price=price, is_active=payload.is_active)
    return presenters.price_dict(updated)


@seller_subscriptions_router.get(
    "", response=SubscriptionPageOut, exclude_unset=True, summary="Your subscribers, newest first"
)
def seller_subscriptions(
    request: HttpRequest, params: Query[SubscriptionListQuery]
) -> dict[str, Any]:
    seller = authorised_seller(request)
    return _page(selectors.seller_subscriptions(seller), params, with_buyer=True)


# --- operators ---------------------------------------------------------------------------------


def _any(subscription_id: int) -> Subscription:
    subscription = selectors.all_subscriptions().filter(pk=subscription_id).first()
    if subscription is None:
        raise not_found()
    return subscription


@operator_subscriptions_router.get(
    "", response=SubscriptionPageOut, exclude_unset=True, summary="Every subscription, newest first"
)
def operator_subscriptions(
    request: HttpRequest, params: Query[SubscriptionListQuery]
) -> dict[str, Any]:
    return _page(selectors.all_subscriptions(), params, with_buyer=True)


@operator_subscriptions_router.get(
    "/{subscription_id}", response=SubscriptionOut, exclude_unset=True
)
def operator_subscription(request: HttpRequest, subscription_id: int) -> dict[str, Any]:
    return _detail(_any(subscription_id), with_buyer=True)


@operator_subscriptions_router.post(
    "/{subscription_id}/cancel",
    response=SubscriptionOut,
    exclude_unset=True,
    summary="End a subscription now (no refund)",
)
def operator_cancel(
    request: HttpRequest, subscription_id: int, payload: OperatorCancelIn
) -> dict[str, Any]:
    operator = principal_of(request).user
    subscription = cancel.cancel_now(
        subscription=_any(subscription_id), actor=operator, note=payload.note
    )
    return _detail(subscription, with_buyer=True)
