"""Setting a gig up in the studio beyond its packages (which the product wizard's step sets):
its extras, its requirements questionnaire and its FAQ, one section each with one Save.

A section is a list of rows the seller adds, removes and reorders with htmx (the row buttons
post the section's form and get the section back, re-drawn from what was posted, so nothing
typed is lost and nothing is saved); without JavaScript the same buttons post the page and
get it back. Save writes the whole section through ``modules.gigs.services.listing`` in one
transaction: a refusal writes nothing and is shown beside the field it names, with every
row as the seller typed it. Prices are typed in major units and parsed exactly
(``Money.parse``: "12.345" in USD is an error, never rounded).

Mounted under ``/studio/gigs/`` behind the manifest's permissions: a teammate without
``manage_products`` gets the 403 page; another seller's gig (or a product that is not a gig)
is 404, and so is every page where the module is off."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.catalog.models import Product
from core.marketplace import current_marketplace
from core.money import CURRENCY_EXPONENTS, Money, MoneyError
from core.sellers.auth import authorised_seller
from core.sellers.models import Seller
from modules.gigs.errors import GigsError
from modules.gigs.models import (
    ExtraKind,
    GigExtra,
    GigFaq,
    GigPackage,
    GigQuestion,
    QuestionKind,
)
from modules.gigs.services import listing

UID = re.compile(r"^[a-z0-9]{1,16}$")
# "extras[2].price" / "questions[0].choices[1]" -> row 2, field "price".
SERVICE_FIELD = re.compile(r"^\w+\[(\d+)\](?:\.(\w+))?")
MAX_ROWS = 25  # what a posted form may carry; the services cap each list at 20

EXTRA_KINDS = [
    (ExtraKind.FAST_DELIVERY.value, "Extra-fast delivery"),
    (ExtraKind.EXTRA_REVISION.value, "Extra revisions"),
    (ExtraKind.CUSTOM.value, "Custom add-on"),
]
QUESTION_KINDS = [
    (QuestionKind.TEXT.value, "Text answer"),
    (QuestionKind.CHOICE.value, "Choice of options"),
    (QuestionKind.FILE.value, "File (or a link)"),
]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    fields: tuple[str, ...]
    limit: int
    add_label: str
    blank: dict[str, Any]


SECTIONS: dict[str, Section] = {
    section.key: section
    for section in (
        Section(
            "extras",
            "Extras",
            ("kind", "title", "price", "days", "revisions"),
            listing.MAX_EXTRAS,
            "Add an extra",
            {"kind": ExtraKind.CUSTOM.value, "days": "0", "revisions": "0"},
        ),
        Section(
            "questions",
            "Requirements questions",
            ("kind", "prompt", "is_required", "choices"),
            listing.MAX_QUESTIONS,
            "Add a question",
            {"kind": QuestionKind.TEXT.value, "is_required": True},
        ),
        Section("faq", "FAQ", ("question", "answer"), listing.MAX_FAQ, "Add a question", {}),
    )
}


@dataclass
class Row:
    uid: str
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def _new_uid() -> str:
    return secrets.token_hex(4)


def _price_text(amount: int, currency: str) -> str:
    return str(Decimal(amount).scaleb(-CURRENCY_EXPONENTS.get(currency, 2)))


def _stored_rows(product: Product, key: str) -> list[Row]:
    if key == "extras":
        return [
            Row(
                _new_uid(),
                {
                    "kind": extra.kind,
                    "title": extra.title,
                    "price": _price_text(extra.price, extra.currency),
                    "days": str(extra.days),
                    "revisions": str(extra.revisions),
                },
            )
            for extra in GigExtra.objects.filter(product=product).order_by("position", "id")
        ]
    if key == "questions":
        return [
            Row(
                _new_uid(),
                {
                    "kind": question.kind,
                    "prompt": question.prompt,
                    "is_required": question.is_required,
                    "choices": "\n".join(question.choices),
                },
            )
            for question in GigQuestion.objects.filter(product=product).order_by("position", "id")
        ]
    return [
        Row(_new_uid(), {"question": faq.question, "answer": faq.answer})
        for faq in GigFaq.objects.filter(product=product).order_by("position", "id")
    ]


def _posted_rows(section: Section, data: QueryDict) -> list[Row]:
    """The rows as posted, in the order they stand on the page."""
    rows: list[Row] = []
    for uid in data.getlist(f"{section.key}-row")[:MAX_ROWS]:
        if not UID.match(uid) or any(row.uid == uid for row in rows):
            continue
        values: dict[str, Any] = {
            name: data.get(f"{section.key}-{uid}-{name}", "") for name in section.fields
        }
        if "is_required" in values:
            values["is_required"] = data.get(f"{section.key}-{uid}-is_required") == "on"
        rows.append(Row(uid, values))
    return rows


def _rearranged(section: Section, rows: list[Row], op: str) -> tuple[list[Row], str]:
    """Apply a row button ("add", "remove:<uid>", "up:<uid>", "down:<uid>"); returns the
    rows and a message for the section (why an add was refused)."""
    verb, _, uid = op.partition(":")
    if verb == "add":
        if len(rows) >= section.limit:
            return rows, f"At most {section.limit}."
        return [*rows, Row(_new_uid(), dict(section.blank))], ""
    index = next((i for i, row in enumerate(rows) if row.uid == uid), None)
    if index is None:
        return rows, ""
    if verb == "remove":
        return rows[:index] + rows[index + 1 :], ""
    target = index - 1 if verb == "up" else index + 1 if verb == "down" else index
    if 0 <= target < len(rows):
        rows[index], rows[target] = rows[target], rows[index]
    return rows, ""


def _whole(text: str) -> int | None:
    text = text.strip() or "0"
    return int(text) if re.fullmatch(r"\d{1,4}", text) else None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _parsed(section: Section, rows: list[Row], currency: str) -> list[Any]:
    """The services' data for ``rows``; what cannot be read is put on its row's errors."""
    parsed: list[Any] = []
    for row in rows:
        values = row.values
        if section.key == "extras":
            try:
                price = Money.parse(str(values["price"]), currency).amount
            except MoneyError:
                row.errors["price"] = f"Give a price in {currency}, like 15.00."
                price = 0
            days, revisions = _whole(str(values["days"])), _whole(str(values["revisions"]))
            if days is None:
                row.errors["days"] = "Give a whole number of days."
            if revisions is None:
                row.errors["revisions"] = "Give a whole number of revisions."
            parsed.append(
                listing.ExtraData(
                    kind=str(values["kind"]),
                    title=str(values["title"]),
                    price=price,
                    days=days or 0,
                    revisions=revisions or 0,
                )
            )
        elif section.key == "questions":
            kind = str(values["kind"])
            choices = _lines(str(values["choices"]))
            if kind != QuestionKind.CHOICE and choices:
                row.errors["choices"] = "Only a choice question has options: clear them."
            parsed.append(
                listing.QuestionData(
                    kind=kind,
                    prompt=str(values["prompt"]),
                    is_required=bool(values["is_required"]),
                    choices=choices,
                )
            )
        else:
            parsed.append(
                listing.FaqData(question=str(values["question"]), answer=str(values["answer"]))
            )
    return parsed


def _write(section: Section, product: Product, parsed: list[Any]) -> None:
    if section.key == "extras":
        listing.set_extras(product=product, extras=parsed)
    elif section.key == "questions":
        listing.set_questions(product=product, questions=parsed)
    else:
        listing.set_faq(product=product, faq=parsed)


def _place_error(section: Section, rows: list[Row], error: GigsError) -> str:
    """Put a service's refusal beside the field it names; a list-wide one is returned."""
    details = error.details if isinstance(error.details, dict) else {}
    named = SERVICE_FIELD.match(str(details.get("field", "")))
    if named is None or int(named.group(1)) >= len(rows):
        return error.message
    field_name = named.group(2) if named.group(2) in section.fields else section.fields[1]
    rows[int(named.group(1))].errors[field_name] = error.message
    return ""


def _gig(seller: Seller, product_id: int) -> Product:
    try:
        return listing.sellers_gig(seller=seller, product_id=product_id)
    except GigsError as error:
        raise Http404(error.message) from None


def _section_context(section: Section, rows: list[Row], error: str = "") -> dict[str, Any]:
    return {
        "section": section,
        "rows": rows,
        "section_error": error,
        "extra_kinds": EXTRA_KINDS,
        "question_kinds": QUESTION_KINDS,
        "currency": current_marketplace().default_currency,
    }


def _page(
    request: HttpRequest,
    seller: Seller,
    product: Product,
    *,
    changed: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The set-up page; ``changed`` is the section re-drawn from a post (its rows as typed)."""
    sections = []
    for key, section in SECTIONS.items():
        if changed is not None and changed["section"].key == key:
            sections.append(changed)
        else:
            sections.append(_section_context(section, _stored_rows(product, key)))
    context = {"seller": seller, "product": product, "sections": sections}
    return render(request, "gigs/studio_gig.html", context, status=status)


def _count(model: type[GigPackage | GigExtra | GigQuestion | GigFaq]) -> Coalesce:
    """How many rows of ``model`` a gig has: a subquery each, so the four counts never
    multiply into each other's joins."""
    counted = (
        model.objects.filter(product_id=OuterRef("pk"))
        .order_by()
        .values("product_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted), Value(0))


@never_cache
@require_http_methods(["GET", "HEAD"])
def gigs(request: HttpRequest) -> HttpResponse:
    """The seller's gigs, each with what is set up, linking to its set-up page."""
    seller = authorised_seller(request)
    rows = (
        Product.objects.filter(seller=seller, product_type=listing.GIG)
        .annotate(
            packages=_count(GigPackage),
            extras=_count(GigExtra),
            questions=_count(GigQuestion),
            faqs=_count(GigFaq),
        )
        .order_by("name", "id")[:200]
    )
    return render(request, "gigs/studio_gig_list.html", {"seller": seller, "gigs": rows})


@never_cache
@require_http_methods(["GET", "HEAD"])
def gig(request: HttpRequest, product_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    return _page(request, seller, _gig(seller, product_id))


@require_http_methods(["POST"])
def save_section(request: HttpRequest, product_id: int, section_key: str) -> HttpResponse:
    """A row button (``op``) re-draws the section unsaved; Save writes it or shows why not."""
    section = SECTIONS.get(section_key)
    if section is None:
        raise Http404("No such section.")
    seller = authorised_seller(request)
    product = _gig(seller, product_id)
    rows = _posted_rows(section, request.POST)
    op = request.POST.get("op", "")
    if op:
        rows, note = _rearranged(section, rows, op)
        changed = _section_context(section, rows, note)
        if request.headers.get("HX-Request") == "true":
            return render(request, "gigs/studio_gig_section.html", {**changed, "product": product})
        return _page(request, seller, product, changed=changed)
    parsed = _parsed(section, rows, current_marketplace().default_currency)
    error = ""
    if not any(row.errors for row in rows):
        try:
            with transaction.atomic():
                _write(section, product, parsed)
        except GigsError as refused:
            error = _place_error(section, rows, refused)
        else:
            messages.success(request, f"Saved the {section.title.lower()}.")
            url = reverse("gigs_studio:gig", args=[product.pk])
            return HttpResponseRedirect(f"{url}#{section.key}")
    changed = _section_context(section, rows, error)
    return _page(request, seller, product, changed=changed, status=422)
