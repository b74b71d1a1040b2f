"""Operators moderate products: approve (publish), reject with a reason, take down."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.accounts.emails import send_account_mail
from core.catalog.errors import CatalogError, CatalogErrorCode
from core.catalog.models import Product, ProductStatus
from core.catalog.services.products import products_changed
from core.errors import ErrorKind


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())[:500]
    if not reason:
        raise CatalogError(
            CatalogErrorCode.REASON_REQUIRED,
            "Tell the seller why.",
            details={"field": "reason"},
            kind=ErrorKind.INVALID,
        )
    return reason


def _require(product: Product, *allowed: str) -> None:
    if product.status not in allowed:
        raise CatalogError(
            CatalogErrorCode.INVALID_TRANSITION,
            f"This product is {product.get_status_display().lower()}.",
            details={"status": product.status},
            kind=ErrorKind.CONFLICT,
        )


@transaction.atomic
def approve_product(*, product: Product) -> Product:
    _require(product, ProductStatus.IN_REVIEW)
    product.status = ProductStatus.PUBLISHED
    product.moderation_note = ""
    product.published_at = product.published_at or timezone.now()
    product.save(update_fields=["status", "moderation_note", "published_at", "updated_at"])
    products_changed([product.pk])
    send_account_mail(
        to=product.seller.owner.email,
        subject=f"Published: {product.name}",
        body=f"{product.name} passed review and is now visible to buyers.",
    )
    return product


@transaction.atomic
def reject_product(*, product: Product, reason: str) -> Product:
    reason = _reason(reason)
    _require(product, ProductStatus.IN_REVIEW, ProductStatus.PUBLISHED)
    product.status = ProductStatus.REJECTED
    product.moderation_note = reason
    product.save(update_fields=["status", "moderation_note", "updated_at"])
    products_changed([product.pk])
    send_account_mail(
        to=product.seller.owner.email,
        subject=f"Changes needed: {product.name}",
        body=f"{product.name} is not visible to buyers.\n\nReason: {reason}\n\n"
        "Edit it and publish again to send it back for review.",
    )
    return product


def set_featured(*, product: Product, is_featured: bool) -> Product:
    product.is_featured = is_featured
    product.save(update_fields=["is_featured", "updated_at"])
    products_changed([product.pk])
    return product
