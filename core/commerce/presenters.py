"""Orders, carts and quotes as the API and the pages show them (plain dicts, so a stored
idempotent answer is exactly what was sent)."""

from __future__ import annotations

from typing import Any

from core.commerce.models import (
    Bundle,
    CustomOffer,
    DiscountCode,
    Order,
    OrderLine,
    OrderTransition,
    Payment,
    SubOrder,
)
from core.commerce.pricing import Quote
from core.money import Money
from core.payments.providers import get_provider


def money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency, "display": str(Money(amount, currency))}


def line_dict(line: OrderLine, currency: str) -> dict[str, Any]:
    return {
        "id": line.pk,
        "sub_order_id": line.sub_order_id,
        "product_id": line.product_id,
        "variant_id": line.variant_id,
        "product_type": line.product_type,
        "title": line.title,
        "quantity": line.quantity,
        "unit_price": money(line.unit_amount, currency),
        "subtotal": money(line.subtotal, currency),
        "discount": money(line.discount_amount, currency),
        "tax": money(line.tax_amount, currency),
        "tax_rate_bp": line.tax_rate_bp,
        "tax_name": line.tax_name,
        "total": money(line.total, currency),
        "refunded": money(line.refunded_amount, currency),
        "status": line.status,
        "is_escrow": line.is_escrow,
        "bundle_id": line.bundle_id,
        "offer_id": line.offer_id,
        "recurring_price_id": line.recurring_price_id,
    }


def payment_dict(payment: Payment | None) -> dict[str, Any] | None:
    if payment is None:
        return None
    return {
        "id": payment.pk,
        "status": payment.status,
        "provider": payment.provider,
        "failure_code": payment.failure_code,
        "failure_message": payment.failure_message,
        "action_url": payment.action_url,
    }


def sub_order_dict(sub: SubOrder, currency: str, *, for_seller: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": sub.pk,
        "seller": {"slug": sub.seller.slug, "business_name": sub.seller.business_name},
        "status": sub.status,
        "subtotal": money(sub.subtotal, currency),
        "discount": money(sub.discount_total, currency),
        "tax": money(sub.tax_total, currency),
        "total": money(sub.total, currency),
    }
    if for_seller:
        data["commission"] = money(sub.commission_total, currency)
        data["seller_net"] = money(sub.seller_net, currency)
    return data


def order_dict(
    order: Order,
    *,
    payment: Payment | None = None,
    sub_orders: list[SubOrder] | None = None,
    lines: list[OrderLine] | None = None,
    transitions: list[OrderTransition] | None = None,
) -> dict[str, Any]:
    """Needs ``sub_orders`` (with seller), ``lines`` and ``transitions`` prefetched, or the
    sub-orders and lines given (a just-placed order's, held in memory)."""
    currency = order.currency
    sub_orders = list(order.sub_orders.all()) if sub_orders is None else sub_orders
    lines = list(order.lines.all()) if lines is None else lines
    transitions = list(order.transitions.all()) if transitions is None else transitions
    return {
        "id": order.pk,
        "status": order.status,
        "currency": currency,
        "subtotal": money(order.subtotal, currency),
        "discount": money(order.discount_total, currency),
        "tax": money(order.tax_total, currency),
        "total": money(order.total, currency),
        "refunded": money(order.refunded_total, currency),
        "prices_include_tax": order.prices_include_tax,
        "discount_code": order.discount_code,
        "billing_country": order.billing_country,
        "billing_region": order.billing_region,
        "created_at": order.created_at.isoformat(),
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
        "is_test_mode": get_provider(order.provider).is_test_mode,
        "sub_orders": [sub_order_dict(sub, currency) for sub in sub_orders],
        "lines": [line_dict(line, currency) for line in lines],
        "history": [
            {
                "from": t.from_status,
                "to": t.to_status,
                "by": t.actor_label,
                "sub_order_id": t.sub_order_id,
                "note": t.note,
                "at": t.created_at.isoformat(),
            }
            for t in transitions
        ],
        "payment": payment_dict(payment),
    }


def order_summary(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "status": order.status,
        "total": money(order.total, order.currency),
        "refunded": money(order.refunded_total, order.currency),
        "created_at": order.created_at.isoformat(),
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
    }


def seller_sub_order_dict(sub: SubOrder) -> dict[str, Any]:
    """Needs ``order__buyer``, ``lines`` and ``transitions`` loaded."""
    order = sub.order
    currency = order.currency
    data = sub_order_dict(sub, currency, for_seller=True)
    data.update(
        order_id=order.pk,
        buyer={"email": order.buyer.email, "name": order.billing_name},
        created_at=order.created_at.isoformat(),
        paid_at=order.paid_at.isoformat() if order.paid_at else None,
        lines=[line_dict(line, currency) for line in sub.lines.all()],
        history=[
            {
                "from": t.from_status,
                "to": t.to_status,
                "by": t.actor_label,
                "at": t.created_at.isoformat(),
            }
            for t in sub.transitions.all()
        ],
    )
    return data


def quote_dict(quote: Quote) -> dict[str, Any]:
    currency = quote.currency
    return {
        "currency": currency,
        "prices_include_tax": quote.prices_include_tax,
        "discount_code": quote.discount_code.code if quote.discount_code else None,
        "subtotal": money(quote.subtotal, currency),
        "discount": money(quote.discount_total, currency),
        "tax": money(quote.tax_total, currency),
        "total": money(quote.total, currency),
        "lines": [
            {
                "cart_line_id": line.cart_line_id,
                "product_id": line.product.pk,
                "product_slug": line.product.slug,
                "variant_id": line.variant.pk if line.variant else None,
                "title": line.title,
                "seller": line.product.seller.business_name,
                "quantity": line.quantity,
                "unit_price": money(line.unit_amount, currency),
                "subtotal": money(line.subtotal, currency),
                "discount": money(line.discount, currency),
                "tax": money(line.tax, currency),
                "total": money(line.total, currency),
            }
            for line in quote.lines
        ],
    }


def code_dict(code: DiscountCode) -> dict[str, Any]:
    fields = [
        "id",
        "code",
        "kind",
        "percent_bp",
        "amount",
        "currency",
        "minimum_subtotal",
        "max_redemptions",
        "max_per_buyer",
        "redemptions",
        "starts_at",
        "expires_at",
        "is_active",
    ]
    return {name: getattr(code, name) for name in fields}


def offer_dict(offer: CustomOffer) -> dict[str, Any]:
    return {
        "id": offer.pk,
        "title": offer.title,
        "description": offer.description,
        "product_id": offer.product_id,
        "variant_id": offer.variant_id,
        "price": money(offer.amount, offer.currency),
        "quantity": offer.quantity,
        "status": offer.status,
        "expires_at": offer.expires_at,
        "seller": offer.seller.business_name,
        "buyer_email": offer.buyer.email,
    }


def bundle_dict(bundle: Bundle) -> dict[str, Any]:
    return {
        "id": bundle.pk,
        "slug": bundle.slug,
        "name": bundle.name,
        "price": money(bundle.amount, bundle.currency),
        "is_active": bundle.is_active,
        "items": [
            {"product_id": i.product_id, "variant_id": i.variant_id, "quantity": i.quantity}
            for i in bundle.items.all()
        ],
    }
