"""CSV export and import of a seller's products. Import is row by row: each good row is
written in its own savepoint, each bad row is reported (row number, field, message) and
leaves nothing behind. The export escapes formula-like cells (``core.safe_csv``) and the
import undoes that, so a file can go out and come back unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from core import safe_csv
from core.catalog.errors import CatalogError, CatalogErrorCode
from core.catalog.models import Product
from core.catalog.services.products import ProductData, create_product, update_product
from core.errors import DomainError, ErrorKind
from core.marketplace import current_marketplace
from core.money import Money, MoneyError
from core.sellers.models import Seller

BASE_COLUMNS = [
    "slug",
    "name",
    "product_type",
    "category",
    "summary",
    "description",
    "tags",
    "features",
    "trial_days",
]
MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024


def export_products(*, seller: Seller) -> str:
    currencies = current_marketplace().currencies
    buffer = io.StringIO()
    writer = safe_csv.writer(buffer)
    writer.writerow([*BASE_COLUMNS, "status", *(f"price_{c}" for c in currencies)])
    products = (
        Product.objects.filter(seller=seller)
        .select_related("category")
        .prefetch_related("prices")
        .order_by("id")
    )
    for product in products.iterator(chunk_size=500):
        base = {p.currency: p for p in product.prices.all() if p.variant_id is None}
        writer.writerow(
            [
                product.slug,
                product.name,
                product.product_type,
                product.category.slug if product.category else "",
                product.summary,
                product.description,
                "|".join(product.tags),
                "|".join(product.features),
                product.trial_days,
                product.status,
                *(
                    Money(base[c].amount, c).to_decimal_string() if c in base else ""
                    for c in currencies
                ),
            ]
        )
    return buffer.getvalue()


@dataclass(frozen=True)
class RowError:
    row: int  # 1 is the header, data starts at 2
    field: str | None
    message: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[RowError] | None = None


def _row_data(row: dict[str, str], currencies: Iterable[str]) -> ProductData:
    prices: dict[str, int] = {}
    for currency in currencies:
        raw = (row.get(f"price_{currency}") or "").strip()
        if raw:
            try:
                prices[currency] = Money.parse(raw, currency).amount
            except MoneyError as exc:
                raise CatalogError(
                    CatalogErrorCode.INVALID_PRICE,
                    str(exc),
                    details={"field": f"price_{currency}"},
                    kind=ErrorKind.INVALID,
                ) from None
    trial = (row.get("trial_days") or "0").strip()
    if not trial.isdigit():
        raise CatalogError(
            CatalogErrorCode.INVALID_PRODUCT,
            "trial_days must be a whole number.",
            details={"field": "trial_days"},
            kind=ErrorKind.INVALID,
        )
    return ProductData(
        name=row.get("name") or "",
        product_type=(row.get("product_type") or "").strip(),
        prices=prices,
        summary=row.get("summary") or "",
        description=row.get("description") or "",
        category_slug=(row.get("category") or "").strip() or None,
        trial_days=int(trial),
        tags=[t for t in (row.get("tags") or "").split("|") if t.strip()],
        features=[f for f in (row.get("features") or "").split("|") if f.strip()],
    )


def import_products(*, seller: Seller, content: bytes) -> ImportReport:
    if len(content) > MAX_BYTES:
        raise CatalogError(
            CatalogErrorCode.INVALID_CSV,
            "CSV files are at most 5 MB.",
            details={"field": "file"},
            kind=ErrorKind.TOO_LARGE,
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CatalogError(
            CatalogErrorCode.INVALID_CSV,
            "The file is not UTF-8 text.",
            details={"field": "file"},
            kind=ErrorKind.INVALID,
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = {"name", "product_type"} - set(reader.fieldnames or [])
    if missing:
        raise CatalogError(
            CatalogErrorCode.INVALID_CSV,
            f"The header must include: {', '.join(sorted(missing))}.",
            details={"field": "file", "missing_columns": sorted(missing)},
            kind=ErrorKind.INVALID,
        )
    currencies = current_marketplace().currencies
    report = ImportReport(errors=[])
    assert report.errors is not None
    for index, raw_row in enumerate(reader, start=2):
        row = {
            name: safe_csv.unescape_cell(value) if isinstance(value, str) else value
            for name, value in raw_row.items()
        }
        if index - 1 > MAX_ROWS:
            report.errors.append(RowError(index, None, f"Only the first {MAX_ROWS} rows are read."))
            break
        try:
            with transaction.atomic():
                data = _row_data(row, currencies)
                slug = (row.get("slug") or "").strip()
                existing = (
                    Product.objects.filter(seller=seller, slug=slug).first() if slug else None
                )
                if slug and existing is None:
                    raise CatalogError(
                        CatalogErrorCode.PRODUCT_NOT_FOUND,
                        f"You have no product '{slug[:80]}'; leave slug empty to create one.",
                        details={"field": "slug"},
                        kind=ErrorKind.NOT_FOUND,
                    )
                if existing is None:
                    create_product(seller=seller, data=data)
                    report.created += 1
                else:
                    update_product(product=existing, data=data)
                    report.updated += 1
        except DomainError as error:
            field = error.details.get("field") if isinstance(error.details, dict) else None
            report.errors.append(RowError(index, field, error.message))
    return report
