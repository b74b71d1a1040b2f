"""Sellers' recurring prices: what their products cost per month or year, with a trial. A
price in use is never changed or deleted (subscribers keep the price they signed up for):
the seller adds another and retires the old one, which stays valid for its subscribers."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from core import cache_versions
from core.catalog.models import Product, ProductVariant
from core.commerce.models import Interval, RecurringPrice
from core.marketplace import current_marketplace
from core.sellers.models import Seller
from core.subscriptions.errors import SubscriptionError, SubscriptionErrorCode, field_error

MAX_INTERVAL_COUNT = 36  # the table's check constraint
MAX_TRIAL_DAYS = 365
MAX_AMOUNT = 10**12


@dataclass(frozen=True)
class RecurringPriceData:
    product_id: int
    interval: str
    currency: str
    amount: int
    interval_count: int = 1
    variant_id: int | None = None
    trial_days: int | None = None  # None: the product's default trial


def _invalid(field: str, message: str) -> SubscriptionError:
    return field_error(SubscriptionErrorCode.INVALID_RECURRING_PRICE, field, message)


@transaction.atomic
def create_recurring_price(*, seller: Seller, data: RecurringPriceData) -> RecurringPrice:
    product = Product.objects.filter(seller=seller, pk=data.product_id).first()
    if product is None:  # another seller's product does not exist for you
        raise field_error(SubscriptionErrorCode.PRODUCT_NOT_FOUND, "product_id", "No such product.")
    variant = None
    if data.variant_id is not None:
        variant = ProductVariant.objects.filter(pk=data.variant_id, product=product).first()
        if variant is None:
            raise field_error(
                SubscriptionErrorCode.PRODUCT_NOT_FOUND, "variant_id", "No such option."
            )
    if data.interval not in Interval.values:
        raise _invalid("interval", f"Bill by one of: {', '.join(Interval.values)}.")
    if not 1 <= data.interval_count <= MAX_INTERVAL_COUNT:
        raise _invalid("interval_count", f"Between 1 and {MAX_INTERVAL_COUNT} intervals.")
    currency = data.currency.strip().upper()
    allowed = current_marketplace().currencies
    if currency not in allowed:
        raise _invalid("currency", f"This marketplace sells in {', '.join(allowed)}.")
    if not 0 <= data.amount <= MAX_AMOUNT:
        raise _invalid("amount", "The amount is in minor units, from 0.")
    trial_days = product.trial_days if data.trial_days is None else data.trial_days
    if not 0 <= trial_days <= MAX_TRIAL_DAYS:
        raise _invalid("trial_days", f"A trial lasts 0 to {MAX_TRIAL_DAYS} days.")
    # Cards of products sold by subscription show their plans: the catalogue's pages change.
    cache_versions.bump(cache_versions.CATALOG)
    return RecurringPrice.objects.create(
        product=product,
        variant=variant,
        interval=data.interval,
        interval_count=data.interval_count,
        currency=currency,
        amount=data.amount,
        trial_days=trial_days,
    )


def set_recurring_price_active(*, price: RecurringPrice, is_active: bool) -> RecurringPrice:
    """A retired price is no longer sold; its subscribers keep renewing at it."""
    if price.is_active != is_active:
        price.is_active = is_active
        price.save(update_fields=["is_active"])
        cache_versions.bump(cache_versions.CATALOG)
    return price
