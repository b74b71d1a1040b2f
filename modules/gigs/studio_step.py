"""Gigs' step in the studio's product wizard (``manifest.studio_product_step``): the gig's
packages (basic, standard, premium: price, delivery days, revisions, features, checklist).

The extras, the requirements questionnaire and the FAQ have their own studio page
(``/studio/gigs/setup/<id>/``, ``studio_gig_pages``), linked from this step; this step leaves
them as they are. Everything is written through
``modules.gigs.services.listing`` in the studio's transaction: a refusal writes nothing, and
its error is shown beside the field it names."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from core.catalog.models import Product
from core.marketplace import current_marketplace
from core.money import CURRENCY_EXPONENTS, Money, MoneyError
from modules.gigs.errors import GigsError, GigsErrorCode, invalid
from modules.gigs.models import TIERS, GigPackage
from modules.gigs.services import listing

FIELDS = ("title", "price", "delivery_days", "revisions", "features", "checklist")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _tier_fields(tier: str) -> dict[str, forms.Field]:
    label = tier.title()
    return {
        f"{tier}_is_offered": forms.BooleanField(label=f"Offer {label}", required=False),
        f"{tier}_title": forms.CharField(label=f"{label}: title", max_length=80, required=False),
        f"{tier}_price": forms.CharField(
            label=f"{label}: price", max_length=20, required=False, help_text="e.g. 49.00"
        ),
        f"{tier}_delivery_days": forms.IntegerField(
            label=f"{label}: delivery (days)", min_value=1, max_value=365, required=False
        ),
        f"{tier}_revisions": forms.IntegerField(
            label=f"{label}: revisions",
            min_value=0,
            max_value=listing.MAX_REVISIONS,
            required=False,
            help_text="Leave empty for unlimited revisions.",
        ),
        f"{tier}_features": forms.CharField(
            label=f"{label}: what is included (one per line)",
            required=False,
            widget=forms.Textarea(attrs={"rows": 3}),
        ),
        f"{tier}_checklist": forms.CharField(
            label=f"{label}: delivery checklist (one per line)",
            required=False,
            help_text="You tick each item when you deliver; the buyer sees them.",
            widget=forms.Textarea(attrs={"rows": 3}),
        ),
    }


class GigStepForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for tier in TIERS:
            self.fields.update(_tier_fields(tier))
        self.order_fields([f"{tier}_{name}" for tier in TIERS for name in ("is_offered", *FIELDS)])


def _price_text(amount: int, currency: str) -> str:
    return str(Decimal(amount).scaleb(-CURRENCY_EXPONENTS.get(currency, 2)))


class GigStep:
    title = "Packages"
    template = "gigs/studio_gig_step.html"

    def form_class(self, product: Product) -> type[forms.Form]:
        return GigStepForm

    def initial(self, product: Product) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for package in GigPackage.objects.filter(product=product):
            tier = package.tier
            initial.update(
                {
                    f"{tier}_is_offered": True,
                    f"{tier}_title": package.title,
                    f"{tier}_price": _price_text(package.price, package.currency),
                    f"{tier}_delivery_days": package.delivery_days,
                    f"{tier}_revisions": package.revisions,
                    f"{tier}_features": "\n".join(package.features),
                    f"{tier}_checklist": "\n".join(package.checklist),
                }
            )
        return initial

    def save(self, product: Product, cleaned_data: dict[str, Any]) -> None:
        currency = current_marketplace().default_currency
        packages: list[listing.PackageData] = []
        # The services' field names (``packages[0].price``) -> this form's.
        aliases: dict[str, str] = {"packages": "basic_is_offered"}
        for tier in (tier for tier in TIERS if cleaned_data.get(f"{tier}_is_offered")):
            where = f"packages[{len(packages)}]"
            aliases.update({f"{where}.{name}": f"{tier}_{name}" for name in FIELDS})
            try:
                price = Money.parse(cleaned_data.get(f"{tier}_price") or "", currency).amount
            except MoneyError:
                raise invalid(
                    GigsErrorCode.INVALID_PACKAGES, f"{tier}_price", f"Give a price in {currency}."
                ) from None
            packages.append(
                listing.PackageData(
                    tier=tier,
                    title=cleaned_data.get(f"{tier}_title") or "",
                    price=price,
                    delivery_days=cleaned_data.get(f"{tier}_delivery_days") or 0,
                    revisions=cleaned_data.get(f"{tier}_revisions"),
                    features=_lines(cleaned_data.get(f"{tier}_features") or ""),
                    checklist=_lines(cleaned_data.get(f"{tier}_checklist") or ""),
                )
            )
        try:
            listing.set_packages(product=product, packages=packages)
        except GigsError as error:
            details = error.details if isinstance(error.details, dict) else {}
            field = str(details.get("field", ""))
            named = aliases.get(field) or aliases.get(field.rsplit("[", 1)[0], "")
            raise GigsError(
                error.code, error.message, details={**details, "field": named}, kind=error.kind
            ) from None


step = GigStep()
