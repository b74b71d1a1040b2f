"""Sellers' sub-orders, refunds and selling terms (``/api/v1/seller/...``, permission
process_orders or manage_products) and operators' orders and commerce policy
(``/api/v1/operator/commerce/...``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Query, Router, Schema, Status

from core.accounts.principal import principal_of
from core.commerce import presenters, selectors
from core.commerce.errors import CommerceError, CommerceErrorCode
from core.commerce.models import (
    Bundle,
    CustomOffer,
    DiscountCode,
    Inventory,
    OfferStatus,
    Order,
    Payment,
    TaxRule,
)
from core.commerce.schemas import (
    ActiveIn,
    BundleIn,
    BundleOut,
    CategoryCommissionIn,
    CategoryCommissionOut,
    CommerceSettingsIn,
    CommerceSettingsOut,
    DiscountCodeIn,
    DiscountCodeOut,
    OfferIn,
    OfferOut,
    OrderOut,
    OrderPageOut,
    OrderSummaryOut,
    RefundIn,
    RefundOut,
    SellerSubOrderOut,
    SellerSubOrderPageOut,
    StockIn,
    StockOut,
    TaxRuleIn,
    TaxRuleOut,
)
from core.commerce.services import offers, policy
from core.commerce.services.payment_events import cancel_order
from core.commerce.services.refunds import LineRefund, refund_order
from core.errors import ErrorKind
from core.idempotency.store import run_idempotent
from core.pagination import keyset_page
from core.sellers.auth import authorised_seller, seller_team_auth
from core.sellers.models import TeamPermission

seller_commerce_router = Router()  # each operation names the team permission it needs
operator_commerce_router = Router()  # operator_auth(), applied in api/v1.py


def _not_found(what: str) -> CommerceError:
    return CommerceError(
        CommerceErrorCode.ORDER_NOT_FOUND, f"No such {what}.", kind=ErrorKind.NOT_FOUND
    )


class PageQuery(Schema):
    limit: int = 20
    cursor: str | None = None
    status: str | None = None


def _refund(
    request: HttpRequest, order: Order, payload: RefundIn, *, seller_id: int | None, label: str
) -> JsonResponse:
    principal = principal_of(request)

    def operation(key: str) -> tuple[int, dict[str, Any]]:
        refund = refund_order(
            order_id=order.pk,
            lines=None
            if payload.lines is None
            else [LineRefund(item.line_id, item.amount) for item in payload.lines],
            reason=payload.reason,
            idempotency_key=key,
            actor=principal.user,
            actor_label=label,
            seller_id=seller_id,
        )
        return 201, {
            "id": refund.pk,
            "order_id": order.pk,
            "amount": presenters.money(refund.amount, refund.currency),
            "reason": refund.reason,
        }

    return run_idempotent(
        request,
        user_id=principal.user.pk,
        scope=f"refund:{order.pk}",
        body=payload.model_dump(),
        operation=operation,
    )


# --- sellers: orders --------------------------------------------------------------------------


@seller_commerce_router.get(
    "/orders",
    response=SellerSubOrderPageOut,
    summary="Your sub-orders, newest first",
    auth=seller_team_auth(TeamPermission.PROCESS_ORDERS),
)
def seller_orders(request: HttpRequest, params: Query[PageQuery]) -> dict[str, Any]:
    seller = authorised_seller(request)
    queryset = selectors.seller_sub_orders(seller).select_related("seller")
    if params.status:
        queryset = queryset.filter(status=params.status)
    rows, cursor = keyset_page(
        queryset, ordering=("-id",), limit=max(1, min(params.limit, 100)), cursor=params.cursor
    )
    return {
        "items": [
            {
                **presenters.sub_order_dict(sub, sub.order.currency, for_seller=True),
                "order_id": sub.order_id,
            }
            for sub in rows
        ],
        "next_cursor": cursor,
    }


@seller_commerce_router.get(
    "/orders/{sub_order_id}",
    response=SellerSubOrderOut,
    by_alias=True,
    auth=seller_team_auth(TeamPermission.PROCESS_ORDERS),
)
def seller_order(request: HttpRequest, sub_order_id: int) -> dict[str, Any]:
    seller = authorised_seller(request)
    sub = selectors.seller_sub_order(seller, sub_order_id)
    if sub is None:
        raise _not_found("order")
    return presenters.seller_sub_order_dict(sub)


@seller_commerce_router.post(
    "/orders/{sub_order_id}/refunds",
    response={201: RefundOut},
    summary="Refund your lines",
    auth=seller_team_auth(TeamPermission.PROCESS_ORDERS),
)
def seller_refund(request: HttpRequest, sub_order_id: int, payload: RefundIn) -> JsonResponse:
    seller = authorised_seller(request)
    sub = selectors.seller_sub_order(seller, sub_order_id)
    if sub is None:
        raise _not_found("order")
    lines = payload.lines
    if lines is None:  # "everything" for a seller is everything of theirs
        from core.commerce.schemas import RefundLineIn

        lines = [RefundLineIn(line_id=line.pk, amount=None) for line in sub.lines.all()]
    return _refund(
        request,
        sub.order,
        RefundIn(lines=lines, reason=payload.reason),
        seller_id=seller.pk,
        label="seller",
    )


# --- sellers: selling terms -------------------------------------------------------------------


@seller_commerce_router.get(
    "/discount-codes",
    response=list[DiscountCodeOut],
    auth=seller_team_auth(TeamPermission.MANAGE_PRODUCTS),
)
def seller_codes(request: HttpRequest) -> list[dict[str, Any]]:
    seller = authorised_seller(request)
    return [
        presenters.code_dict(code)
        for code in DiscountCode.objects.filter(seller=seller).order_by("-id")[:200]
    ]


def _discount_input(payload: DiscountCodeIn) -> offers.DiscountInput:
    return offers.DiscountInput(**payload.model_dump())


@seller_commerce_router.post(
    "/discount-codes",
    response={201: DiscountCodeOut},
    auth=seller_team_auth(TeamPermission.MANAGE_PRODUCTS),
)
def seller_create_code(request: HttpRequest, payload: DiscountCodeIn) -> Status[dict[str, Any]]:
    seller = authorised_seller(request)
    code = offers.create_discount_code(seller=seller, data=_discount_input(payload))
    return Status(201, presenters.code_dict(code))


@seller_commerce_router.post(
    "/discount-codes/{code_id}/deactivate",
    response=DiscountCodeOut,
    auth=seller_team_auth(TeamPermission.MANAGE_PRODUCTS),
)
def seller_deactivate_code(request: HttpRequest, code_id: int) -> dict[str, Any]:
    seller = authorised_seller(request)
    code = DiscountCode.objects.filter(pk=code_id, seller=seller).first()
    if code is None:
        raise _not_found("code")
    return presenters.code_dict(offers.deactivate_discount_code(code=code))


@seller_commerce_router.get(
    "/offers", response=list[OfferOut], auth=seller_team_auth(TeamPermission.PROCESS_ORDERS)
)
def seller_offers(request: HttpRequest) -> list[dict[str, Any]]:
    seller = authorised_seller(request)
    rows = (
        CustomOffer.objects.filter(seller=seller)
        .select_related("seller", "buyer")
        .order_by("-id")[:200]
    )
    return [presenters.offer_dict(offer) for offer in rows]


@seller_commerce_router.post(
    "/offers", response={201: OfferOut}, auth=seller_team_auth(TeamPermission.PROCESS_ORDERS)
)
def seller_create_offer(request: HttpRequest, payload: OfferIn) -> Status[dict[str, Any]]:
    seller = authorised_seller(request)
    offer = offers.create_offer(seller=seller, **payload.model_dump())
    return Status(201, presenters.offer_dict(offer))


@seller_commerce_router.post(
    "/offers/{offer_id}/withdraw",
    response=OfferOut,
    auth=seller_team_auth(TeamPermission.PROCESS_ORDERS),
)
def seller_withdraw_offer(request: HttpRequest, offer_id: int) -> dict[str, Any]:
    seller = authorised_seller(request)
    offer = (
        CustomOffer.objects.select_related("seller", "buyer")
        .filter(pk=offer_id, seller=seller)
        .first()
    )
    if offer is None:
        raise _not_found("offer")
    return presenters.offer_dict(offers.close_offer(offer=offer, status=OfferStatus.WITHDRAWN))


@seller_commerce_router.get(
    "/bundles", response=list[BundleOut], auth=seller_team_auth(TeamPermission.MANAGE_PRODUCTS)
)
def seller_bundles(request: HttpRequest) -> list[dict[str, Any]]:
    seller = authorised_seller(request)
    rows = Bundle.objects.filter(seller=seller).prefetch_related("items").order_by("-id")[:200]
    return [presenters.bundle_dict(bundle) for bundle in rows]


@seller_commerce_router.post(
    "/bundles", response={201: BundleOut}, auth=seller_team_auth(TeamPermission.MANAGE_PRODUCTS)
)
def seller_create_bundle(request: HttpRequest, payload: BundleIn) -> Status[dict[str, Any]]:
    seller = authorised_seller(request)
    bundle = offers.create_bundle(
        seller=seller,
        name=payload.name,
        amount=payload.amount,
        currency=payload.currency,
        items=[offers.BundleItemInput(**item.model_dump()) for item in payload.items],
    )
    return Status(201, presenters.bundle_dict(bundle))


@seller_commerce_router.patch(
    "/bundles/{bundle_id}",
    response=BundleOut,
    auth=seller_team_auth(TeamPermission.MANAGE_PRODUCTS),
)
def seller_update_bundle(request: HttpRequest, bundle_id: int, payload: ActiveIn) -> dict[str, Any]:
    seller = authorised_seller(request)
    bundle = Bundle.objects.filter(pk=bundle_id, seller=seller).first()
    if bundle is None:
        raise _not_found("bundle")
    return presenters.bundle_dict(
        offers.set_bundle_active(bundle=bundle, is_active=payload.is_active)
    )


@seller_commerce_router.put(
    "/stock",
    response=StockOut,
    summary="Limit (or unlimit) stock of a product/option",
    auth=seller_team_auth(TeamPermission.MANAGE_PRODUCTS),
)
def seller_set_stock(request: HttpRequest, payload: StockIn) -> dict[str, Any]:
    seller = authorised_seller(request)
    stock = offers.set_stock(
        seller=seller,
        product_id=payload.product_id,
        variant_id=payload.variant_id,
        available=payload.available,
    )
    return {
        "product_id": payload.product_id,
        "variant_id": payload.variant_id,
        "available": stock.available if isinstance(stock, Inventory) else None,
    }


# --- operators --------------------------------------------------------------------------------


@operator_commerce_router.get("/orders", response=OrderPageOut)
def operator_orders(request: HttpRequest, params: Query[PageQuery]) -> dict[str, Any]:
    queryset = Order.objects.all()
    if params.status:
        queryset = queryset.filter(status=params.status)
    rows, cursor = keyset_page(
        queryset, ordering=("-id",), limit=max(1, min(params.limit, 100)), cursor=params.cursor
    )
    return {"items": [presenters.order_summary(order) for order in rows], "next_cursor": cursor}


def _any_order(order_id: int) -> Order:
    order = selectors.any_order(order_id)
    if order is None:
        raise _not_found("order")
    return order


@operator_commerce_router.get("/orders/{order_id}", response=OrderOut, by_alias=True)
def operator_order(request: HttpRequest, order_id: int) -> dict[str, Any]:
    order = _any_order(order_id)
    return presenters.order_dict(
        order, payment=Payment.objects.filter(order=order).order_by("-id").first()
    )


@operator_commerce_router.post("/orders/{order_id}/refunds", response={201: RefundOut})
def operator_refund(request: HttpRequest, order_id: int, payload: RefundIn) -> JsonResponse:
    return _refund(request, _any_order(order_id), payload, seller_id=None, label="operator")


@operator_commerce_router.post("/orders/{order_id}/cancel", response=OrderSummaryOut)
def operator_cancel(request: HttpRequest, order_id: int) -> dict[str, Any]:
    order = _any_order(order_id)
    if not cancel_order(
        order_id=order.pk, actor=principal_of(request).user, actor_label="operator"
    ):
        raise CommerceError(
            CommerceErrorCode.INVALID_TRANSITION,
            "Only an unpaid order can be cancelled.",
            kind=ErrorKind.CONFLICT,
        )
    return presenters.order_summary(_any_order(order_id))


@operator_commerce_router.get("/settings", response=CommerceSettingsOut)
def get_settings(request: HttpRequest) -> dict[str, Any]:
    return _settings_dict()


def _settings_dict() -> dict[str, Any]:
    settings = selectors.commerce_settings()
    return {
        "commission_rate_bp": settings.commission_rate_bp,
        "prices_include_tax": settings.prices_include_tax,
        "minimum_payout": settings.minimum_payout,
        "escrow_product_types": sorted(selectors.escrowed_product_types(settings)),
        "is_escrow_overridden": settings.escrow_product_types is not None,
    }


@operator_commerce_router.patch("/settings", response=CommerceSettingsOut)
def patch_settings(request: HttpRequest, payload: CommerceSettingsIn) -> dict[str, Any]:
    # An explicit null for escrow_product_types drops the override (JSON merge patch).
    is_escrow_reset = (
        "escrow_product_types" in payload.model_fields_set and payload.escrow_product_types is None
    )
    policy.update_settings(**payload.model_dump(), reset_escrow_product_types=is_escrow_reset)
    return _settings_dict()


@operator_commerce_router.put("/category-commissions", response=CategoryCommissionOut)
def put_category_commission(request: HttpRequest, payload: CategoryCommissionIn) -> dict[str, Any]:
    policy.set_category_commission(
        category_id=payload.category_id, rate_bp=payload.commission_rate_bp
    )
    return payload.model_dump()


def _rule_dict(rule: TaxRule) -> dict[str, Any]:
    fields = ("id", "country", "region", "product_type", "name", "rate_bp", "is_active")
    return {name: getattr(rule, name) for name in fields}


@operator_commerce_router.get("/tax-rules", response=list[TaxRuleOut])
def tax_rules(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        _rule_dict(rule)
        for rule in TaxRule.objects.order_by("country", "region", "product_type", "-id")
    ]


@operator_commerce_router.post("/tax-rules", response={201: TaxRuleOut})
def create_tax_rule(request: HttpRequest, payload: TaxRuleIn) -> Status[dict[str, Any]]:
    return Status(201, _rule_dict(policy.create_tax_rule(**payload.model_dump())))


@operator_commerce_router.post("/tax-rules/{rule_id}/retire", response=TaxRuleOut)
def retire_tax_rule(request: HttpRequest, rule_id: int) -> dict[str, Any]:
    rule = TaxRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise _not_found("tax rule")
    policy.retire_tax_rule(rule=rule)
    return _rule_dict(rule)


@operator_commerce_router.get("/discount-codes", response=list[DiscountCodeOut])
def operator_codes(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        presenters.code_dict(code)
        for code in DiscountCode.objects.filter(seller=None).order_by("-id")[:200]
    ]


@operator_commerce_router.post("/discount-codes", response={201: DiscountCodeOut})
def operator_create_code(request: HttpRequest, payload: DiscountCodeIn) -> Status[dict[str, Any]]:
    code = offers.create_discount_code(seller=None, data=_discount_input(payload))
    return Status(201, presenters.code_dict(code))
