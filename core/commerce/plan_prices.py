"""What a product card says a product sold only by subscription costs (a course membership,
say): its plan, "9.00 USD per month" ("From" where there are more), never the catalogue's
one-off price, which such a product is not sold at."""

from __future__ import annotations

from typing import Any

from core.commerce.forms import plan_label
from core.commerce.models import RecurringPrice
from core.commerce.services.cart import is_recurring_only


def with_plan_prices(cards: list[dict[str, Any]], currency: str) -> list[dict[str, Any]]:
    """``cards`` (``core.catalog.presenters.card``), the subscription-only ones priced by
    their first plan as the buy form orders them (monthly before yearly, cheapest first) in
    ``currency``, or without a price when none is on sale in it. One query, and only when
    such a card is among them."""
    ids = [card["id"] for card in cards if is_recurring_only(card["product_type"])]
    if not ids:
        return cards
    plans: dict[int, list[RecurringPrice]] = {}
    prices = RecurringPrice.objects.filter(
        product_id__in=ids, is_active=True, variant__isnull=True, currency=currency
    ).order_by("interval", "interval_count", "amount", "id")
    for price in prices:
        plans.setdefault(price.product_id, []).append(price)
    priced = []
    for card in cards:
        if card["id"] in ids:
            offered = plans.get(card["id"], [])
            first = offered[0] if offered else None
            card = {
                **card,
                "price": {
                    "amount": first.amount,
                    "currency": first.currency,
                    "display": plan_label(first),
                }
                if first
                else None,
                "price_is_from": len(offered) > 1,
            }
        priced.append(card)
    return priced
