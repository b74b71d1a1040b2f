"""Sellers set up a gig: up to three packages, extras, the requirements questionnaire and
the FAQ. Each setter replaces the whole set (what the seller's form shows is what is kept).
Setting the packages also lists the gig in the catalogue at its cheapest package's price and
its fastest package's delivery time (search's price sort, price and delivery facets).

Every check names the field it is about (``packages[1].price``), so the API and the pages
show the error beside it. Another seller's product, or one that is not a gig, is not found."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from core.catalog.models import Product
from core.catalog.search.module_facets import set_module_keys
from core.catalog.services import products
from core.marketplace import current_marketplace
from core.sellers.models import Seller
from modules.gigs.errors import GigsErrorCode, invalid, not_found
from modules.gigs.models import (
    TIERS,
    ExtraKind,
    GigExtra,
    GigFaq,
    GigPackage,
    GigQuestion,
    QuestionKind,
)
from modules.gigs.search import DELIVERY_PREFIX, delivery_keys

GIG = "gig"
MAX_PRICE = 10**10  # minor units
MAX_REVISIONS = 100  # a finite cap; None is unlimited
MAX_FEATURES = 20
MAX_CHECKLIST = 20
MAX_EXTRAS = 20
MAX_QUESTIONS = 20
MAX_CHOICES = 20
MAX_FAQ = 20


@dataclass(frozen=True)
class PackageData:
    tier: str
    title: str
    price: int
    delivery_days: int
    revisions: int | None = 0  # None: unlimited
    description: str = ""
    features: list[str] = field(default_factory=list)
    checklist: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ExtraData:
    kind: str
    title: str
    price: int
    days: int = 0
    revisions: int = 0


@dataclass(frozen=True)
class QuestionData:
    kind: str
    prompt: str
    is_required: bool = True
    choices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FaqData:
    question: str
    answer: str


def sellers_gig(*, seller: Seller, product_id: int) -> Product:
    """``seller``'s gig product; anything else is not found."""
    product = Product.objects.filter(pk=product_id, seller=seller, product_type=GIG).first()
    if product is None:
        raise not_found(GigsErrorCode.GIG_NOT_FOUND, "No such gig of yours.")
    return product


def _currency() -> str:
    return current_marketplace().default_currency


def _texts(
    values: list[str], *, code: GigsErrorCode, where: str, limit: int, length: int
) -> list[str]:
    cleaned = [value.strip() for value in values]
    if len(cleaned) > limit:
        raise invalid(code, where, f"At most {limit} items.")
    for index, value in enumerate(cleaned):
        if not value or len(value) > length:
            raise invalid(code, f"{where}[{index}]", f"Give 1-{length} characters.")
    if len(set(cleaned)) != len(cleaned):
        raise invalid(code, where, "Each item once.")
    return cleaned


def _price(value: int, where: str, code: GigsErrorCode, *, allow_zero: bool) -> int:
    if value < (0 if allow_zero else 1) or value > MAX_PRICE:
        least = "0" if allow_zero else "1"
        raise invalid(code, where, f"Give a price from {least} to {MAX_PRICE} in minor units.")
    return value


def _clean_package(data: PackageData, where: str) -> PackageData:
    code = GigsErrorCode.INVALID_PACKAGES
    if data.tier not in TIERS:
        raise invalid(code, f"{where}.tier", "A package is basic, standard or premium.")
    title = data.title.strip()
    if not title or len(title) > 80:
        raise invalid(code, f"{where}.title", "Give the package a title (1-80 characters).")
    if not 1 <= data.delivery_days <= 365:
        raise invalid(code, f"{where}.delivery_days", "Delivery takes 1-365 days.")
    if data.revisions is not None and not 0 <= data.revisions <= MAX_REVISIONS:
        raise invalid(
            code, f"{where}.revisions", f"Revisions: 0-{MAX_REVISIONS}, or null for unlimited."
        )
    if len(data.description) > 2000:
        raise invalid(code, f"{where}.description", "At most 2000 characters.")
    return PackageData(
        tier=data.tier,
        title=title,
        price=_price(data.price, f"{where}.price", code, allow_zero=False),
        delivery_days=data.delivery_days,
        revisions=data.revisions,
        description=data.description.strip(),
        features=_texts(
            data.features, code=code, where=f"{where}.features", limit=MAX_FEATURES, length=120
        ),
        checklist=_texts(
            data.checklist, code=code, where=f"{where}.checklist", limit=MAX_CHECKLIST, length=200
        ),
    )


@transaction.atomic
def set_packages(*, product: Product, packages: list[PackageData]) -> list[GigPackage]:
    """One to three packages, each tier once (sellers price tiers as they like)."""
    code = GigsErrorCode.INVALID_PACKAGES
    if not 1 <= len(packages) <= len(TIERS):
        raise invalid(code, "packages", "Offer one to three packages.")
    cleaned = [_clean_package(data, f"packages[{i}]") for i, data in enumerate(packages)]
    tiers = [data.tier for data in cleaned]
    if len(set(tiers)) != len(tiers):
        raise invalid(code, "packages", "Each tier (basic, standard, premium) once.")
    currency = _currency()
    GigPackage.objects.filter(product=product).delete()
    created = GigPackage.objects.bulk_create(
        GigPackage(
            product=product,
            tier=data.tier,
            title=data.title,
            description=data.description,
            currency=currency,
            price=data.price,
            delivery_days=data.delivery_days,
            revisions=data.revisions,
            features=data.features,
            checklist=data.checklist,
        )
        for data in sorted(cleaned, key=lambda data: TIERS.index(data.tier))
    )
    _list_in_catalogue(product, cleaned, currency)
    return created


def _list_in_catalogue(product: Product, packages: list[PackageData], currency: str) -> None:
    """The catalogue sees a gig at its cheapest package (cards, price sort and the price
    facet) and by its fastest one (the delivery-time facet). ``reprice`` reports the change,
    so an external search index follows."""
    set_module_keys(
        product_ids=[product.pk],
        prefix=DELIVERY_PREFIX,
        keys=delivery_keys(min(data.delivery_days for data in packages)),
    )
    products.reprice(product=product, prices={currency: min(data.price for data in packages)})


def _clean_extra(data: ExtraData, where: str) -> ExtraData:
    code = GigsErrorCode.INVALID_EXTRAS
    if data.kind not in ExtraKind.values:
        raise invalid(code, f"{where}.kind", "An extra is fast_delivery, extra_revision or custom.")
    title = data.title.strip()
    if not title or len(title) > 80:
        raise invalid(code, f"{where}.title", "Give the extra a title (1-80 characters).")
    if not 0 <= data.days <= 365 or not 0 <= data.revisions <= MAX_REVISIONS:
        raise invalid(code, f"{where}.days", "Days 0-365 and revisions 0-100.")
    if data.kind == ExtraKind.FAST_DELIVERY and (data.days < 1 or data.revisions):
        raise invalid(code, f"{where}.days", "Extra-fast delivery saves at least one day.")
    if data.kind == ExtraKind.EXTRA_REVISION and (data.revisions < 1 or data.days):
        raise invalid(code, f"{where}.revisions", "An extra-revision extra adds 1+ revisions.")
    if data.kind == ExtraKind.CUSTOM and data.revisions:
        raise invalid(code, f"{where}.revisions", "An add-on adds days, not revisions.")
    return ExtraData(
        kind=data.kind,
        title=title,
        price=_price(data.price, f"{where}.price", code, allow_zero=False),
        days=data.days,
        revisions=data.revisions,
    )


@transaction.atomic
def set_extras(*, product: Product, extras: list[ExtraData]) -> list[GigExtra]:
    if len(extras) > MAX_EXTRAS:
        raise invalid(GigsErrorCode.INVALID_EXTRAS, "extras", f"At most {MAX_EXTRAS} extras.")
    cleaned = [_clean_extra(data, f"extras[{i}]") for i, data in enumerate(extras)]
    currency = _currency()
    GigExtra.objects.filter(product=product).delete()
    return GigExtra.objects.bulk_create(
        GigExtra(
            product=product,
            kind=data.kind,
            title=data.title,
            currency=currency,
            price=data.price,
            days=data.days,
            revisions=data.revisions,
            position=position,
        )
        for position, data in enumerate(cleaned)
    )


@transaction.atomic
def set_questions(*, product: Product, questions: list[QuestionData]) -> list[GigQuestion]:
    code = GigsErrorCode.INVALID_QUESTIONS
    if len(questions) > MAX_QUESTIONS:
        raise invalid(code, "questions", f"At most {MAX_QUESTIONS} questions.")
    rows = []
    for position, data in enumerate(questions):
        where = f"questions[{position}]"
        if data.kind not in QuestionKind.values:
            raise invalid(code, f"{where}.kind", "A question is text, choice or file.")
        prompt = data.prompt.strip()
        if not prompt or len(prompt) > 300:
            raise invalid(code, f"{where}.prompt", "Ask something (1-300 characters).")
        choices: list[str] = []
        if data.kind == QuestionKind.CHOICE:
            choices = _texts(
                data.choices, code=code, where=f"{where}.choices", limit=MAX_CHOICES, length=120
            )
            if len(choices) < 2:
                raise invalid(code, f"{where}.choices", "A choice question needs 2+ choices.")
        elif data.choices:
            raise invalid(code, f"{where}.choices", "Only a choice question has choices.")
        rows.append(
            GigQuestion(
                product=product,
                kind=data.kind,
                prompt=prompt,
                choices=choices,
                is_required=data.is_required,
                position=position,
            )
        )
    GigQuestion.objects.filter(product=product).delete()
    return GigQuestion.objects.bulk_create(rows)


@transaction.atomic
def set_faq(*, product: Product, faq: list[FaqData]) -> list[GigFaq]:
    code = GigsErrorCode.INVALID_FAQ
    if len(faq) > MAX_FAQ:
        raise invalid(code, "faq", f"At most {MAX_FAQ} questions.")
    rows = []
    for position, data in enumerate(faq):
        question, answer = data.question.strip(), data.answer.strip()
        if not question or len(question) > 300:
            raise invalid(code, f"faq[{position}].question", "Give 1-300 characters.")
        if not answer or len(answer) > 2000:
            raise invalid(code, f"faq[{position}].answer", "Give 1-2000 characters.")
        rows.append(GigFaq(product=product, question=question, answer=answer, position=position))
    GigFaq.objects.filter(product=product).delete()
    return GigFaq.objects.bulk_create(rows)
