"""Sellers' bulk repricing: every selected product's base prices up or down by a percentage,
or one currency's price set to an amount. Each product succeeds or fails on its own (like
``products.bulk_apply``, which does the status moves), through ``products.reprice``."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from django.db import transaction

from core.catalog.errors import CatalogError, CatalogErrorCode
from core.catalog.models import Product
from core.catalog.services.products import BulkOutcome, reprice
from core.errors import ErrorKind
from core.money import Money
from core.sellers.models import Seller

MAX_BULK = 500
# -90 % .. +1000 %, in basis points.
MIN_CHANGE_BP = -9_000
MAX_CHANGE_BP = 100_000


class RepriceMode(StrEnum):
    PERCENT = "percent"
    SET = "set"


def _invalid(field: str, message: str) -> CatalogError:
    return CatalogError(
        CatalogErrorCode.INVALID_PRICE, message, details={"field": field}, kind=ErrorKind.INVALID
    )


def new_prices(
    current: dict[str, int],
    *,
    mode: RepriceMode,
    change_bp: int = 0,
    currency: str = "",
    amount: int = 0,
) -> dict[str, int]:
    """The base prices after the change (minor units by currency), rounded half up."""
    if mode == RepriceMode.PERCENT:
        return {
            code: value + Money(value, code).basis_points(change_bp).amount
            for code, value in current.items()
        }
    return {**current, currency: amount}


def bulk_reprice(
    *,
    seller: Seller,
    product_ids: Sequence[int],
    mode: RepriceMode,
    change_bp: int = 0,
    currency: str = "",
    amount: int = 0,
) -> list[BulkOutcome]:
    """``mode=percent``: each base price changes by ``change_bp`` basis points (-10 % is
    -1000); ``mode=set``: the ``currency`` price becomes ``amount`` minor units. Another
    seller's product is "no such product"."""
    if len(product_ids) > MAX_BULK:
        raise CatalogError(
            CatalogErrorCode.TOO_MANY,
            f"At most {MAX_BULK} products per request.",
            details={"field": "product_ids"},
            kind=ErrorKind.INVALID,
        )
    if mode == RepriceMode.PERCENT and not MIN_CHANGE_BP <= change_bp <= MAX_CHANGE_BP:
        raise _invalid("change", "Change prices by -90 % to +1000 %.")
    if mode == RepriceMode.SET and amount < 0:
        raise _invalid("amount", "Prices are not negative.")
    owned = {
        p.pk: p
        for p in Product.objects.filter(seller=seller, pk__in=product_ids).prefetch_related(
            "prices"
        )
    }
    outcomes = []
    for product_id in product_ids:
        product = owned.get(product_id)
        if product is None:
            outcomes.append(BulkOutcome(product_id, False, "No such product.", "product_not_found"))
            continue
        current = {p.currency: p.amount for p in product.prices.all() if p.variant_id is None}
        try:
            with transaction.atomic():
                reprice(
                    product=product,
                    prices=new_prices(
                        current, mode=mode, change_bp=change_bp, currency=currency, amount=amount
                    ),
                )
        except CatalogError as error:
            outcomes.append(BulkOutcome(product_id, False, error.message, str(error.code)))
        else:
            outcomes.append(BulkOutcome(product_id, True))
    return outcomes
