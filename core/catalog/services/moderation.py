"""Operators moderate products: approve (publish), reject with a reason, take down. A product
sent for review is screened by automated moderation first (``screen_for_review``): a product
the checks flag waits here with their reasons; one they pass goes live at once when the
operator chose so (otherwise it waits for an operator as before)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.accounts.emails import send_account_mail
from core.accounts.models import User
from core.automod.checks import ImageInput
from core.automod.models import ContentKind, Decision
from core.automod.pipeline import current_policy
from core.automod.services.outcomes import operator_released, operator_removed
from core.automod.services.screening import moderate
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


def listing_text(product: Product) -> str:
    """Everything a buyer reads on the product page, as one text for the checks."""
    parts = [product.name, product.summary, product.description]
    parts += [str(item) for item in [*(product.features or []), *(product.tags or [])]]
    return "\n".join(part for part in parts if part)


def _image_inputs(product: Product) -> list[ImageInput]:
    inputs = []
    for index, image in enumerate(product.images.exclude(file=""), start=1):
        stored = image.file

        def read(stored: object = stored) -> bytes:
            with stored.open("rb") as handle:  # type: ignore[attr-defined]
                return bytes(handle.read())

        try:
            size = stored.size
        except OSError:
            size = 0
        inputs.append(ImageInput(f"Image {index}", image.content_type, size, read))
    return inputs


def screen_for_review(*, product: Product) -> Decision:
    """Automated moderation of a product entering review: held (it waits for an operator
    with the checks' reasons), or passed (published at once if the marketplace says so)."""
    decision = moderate(
        kind=ContentKind.LISTING,
        text=listing_text(product),
        author_id=product.seller.owner_id,
        object_id=product.pk,
        images=_image_inputs(product),
    )
    if not decision.flagged and current_policy().publish_clean_listings:
        approve_product(product=product)
    return decision


@transaction.atomic
def approve_product(*, product: Product, operator: User | None = None) -> Product:
    _require(product, ProductStatus.IN_REVIEW)
    product.status = ProductStatus.PUBLISHED
    product.moderation_note = ""
    product.published_at = product.published_at or timezone.now()
    product.save(update_fields=["status", "moderation_note", "published_at", "updated_at"])
    products_changed([product.pk])
    operator_released(
        kind=ContentKind.LISTING,
        object_id=product.pk,
        operator_id=operator.pk if operator else None,
    )
    send_account_mail(
        to=product.seller.owner.email,
        subject=f"Published: {product.name}",
        body=f"{product.name} passed review and is now visible to buyers.",
    )
    return product


@transaction.atomic
def reject_product(*, product: Product, reason: str, operator: User | None = None) -> Product:
    reason = _reason(reason)
    _require(product, ProductStatus.IN_REVIEW, ProductStatus.PUBLISHED)
    product.status = ProductStatus.REJECTED
    product.moderation_note = reason
    product.save(update_fields=["status", "moderation_note", "updated_at"])
    products_changed([product.pk])
    operator_removed(
        kind=ContentKind.LISTING,
        object_id=product.pk,
        operator_id=operator.pk if operator else None,
    )
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


def remove_held_listing(operator: User, product_id: int, reason: str) -> None:
    """Automated moderation's hold confirmed from the Moderation page: the listing is rejected."""
    product = Product.objects.select_related("seller__owner").get(pk=product_id)
    reject_product(product=product, reason=reason, operator=operator)


def release_held_listing(operator: User, decision: Decision) -> None:
    """Automated moderation's hold overturned: the listing is approved and goes live."""
    product = Product.objects.select_related("seller__owner").get(pk=decision.object_id)
    approve_product(product=product, operator=operator)
