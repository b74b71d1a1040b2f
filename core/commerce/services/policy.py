"""The operator's commerce policy: commission (marketplace, per category), tax rules, prices
with or without tax, minimum payout, which product types are held in escrow (by default what
each type's module declares; the operator may choose explicitly for the marketplace)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from core.catalog.models import Category
from core.commerce.errors import CommerceErrorCode, field_error
from core.commerce.models import CategoryCommission, CommerceSettings, TaxRule
from core.commerce.selectors import forget_commerce_settings
from core.registry import get_registry


def _rate(value: int, field: str) -> int:
    if not 0 <= value <= 10_000:
        raise field_error(
            CommerceErrorCode.INVALID_TAX_RULE, field, "A rate in basis points, 0-10000."
        )
    return value


@transaction.atomic
def update_settings(
    *,
    commission_rate_bp: int | None = None,
    prices_include_tax: bool | None = None,
    minimum_payout: int | None = None,
    escrow_product_types: list[str] | None = None,
    reset_escrow_product_types: bool = False,
) -> CommerceSettings:
    """``None`` leaves a setting as it is. ``escrow_product_types`` is an explicit choice for
    this marketplace (an empty list: nothing in escrow); ``reset_escrow_product_types`` drops
    the choice, so each type's module default (``is_escrow_by_default``) applies again."""
    settings, _ = CommerceSettings.objects.select_for_update().get_or_create(pk=1)
    if commission_rate_bp is not None:
        settings.commission_rate_bp = _rate(commission_rate_bp, "commission_rate_bp")
    if prices_include_tax is not None:
        settings.prices_include_tax = prices_include_tax
    if minimum_payout is not None:
        if minimum_payout < 0:
            raise field_error(CommerceErrorCode.INVALID_TAX_RULE, "minimum_payout", "At least 0.")
        settings.minimum_payout = minimum_payout
    if reset_escrow_product_types:
        settings.escrow_product_types = None
    elif escrow_product_types is not None:
        unknown = set(escrow_product_types) - set(get_registry().product_types())
        if unknown:
            raise field_error(
                CommerceErrorCode.INVALID_TAX_RULE,
                "escrow_product_types",
                f"Unknown product types: {', '.join(sorted(unknown))}.",
            )
        settings.escrow_product_types = sorted(set(escrow_product_types))
    settings.save(
        update_fields=[
            "commission_rate_bp",
            "prices_include_tax",
            "minimum_payout",
            "escrow_product_types",
        ]
    )
    forget_commerce_settings()
    return settings


def set_category_commission(*, category_id: int, rate_bp: int | None) -> None:
    """``rate_bp`` None removes the override (the marketplace default applies)."""
    if not Category.objects.filter(pk=category_id).exists():
        raise field_error(CommerceErrorCode.PRODUCT_NOT_FOUND, "category_id", "No such category.")
    if rate_bp is None:
        CategoryCommission.objects.filter(category_id=category_id).delete()
        return
    CategoryCommission.objects.update_or_create(
        category_id=category_id,
        defaults={"commission_rate_bp": _rate(rate_bp, "commission_rate_bp")},
    )


def create_tax_rule(
    *, country: str, region: str, product_type: str, name: str, rate_bp: int
) -> TaxRule:
    country = country.strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise field_error(CommerceErrorCode.INVALID_TAX_RULE, "country", "Two-letter country code.")
    if product_type and get_registry().product_type(product_type) is None:
        raise field_error(CommerceErrorCode.INVALID_TAX_RULE, "product_type", "Unknown type.")
    if not name.strip():
        raise field_error(CommerceErrorCode.INVALID_TAX_RULE, "name", "Name the tax (e.g. VAT).")
    try:
        with transaction.atomic():
            return TaxRule.objects.create(
                country=country,
                region=region.strip().upper()[:10],
                product_type=product_type,
                name=name.strip()[:60],
                rate_bp=_rate(rate_bp, "rate_bp"),
            )
    except IntegrityError:
        raise field_error(
            CommerceErrorCode.INVALID_TAX_RULE,
            "country",
            "An active rule for this country, region and type exists; retire it first.",
        ) from None


def retire_tax_rule(*, rule: TaxRule) -> None:
    """Rules are kept (orders name them), only switched off."""
    rule.is_active = False
    rule.save(update_fields=["is_active"])
