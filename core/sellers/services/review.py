"""The operator's side: review applications, grant product types, set commission, and turn
sellers on and off."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from core import cache_versions
from core.accounts.models import Role, User
from core.errors import ErrorKind
from core.events import emit
from core.sellers.emails import notify_seller_approved, notify_seller_rejected
from core.sellers.errors import SellerError, SellerErrorCode
from core.sellers.models import Seller, SellerStatus, VerificationStatus
from core.sellers.services.onboarding import clean_product_types


@transaction.atomic
def approve_seller(
    *,
    actor: User,
    seller: Seller,
    product_types: Iterable[str] | None = None,
    site: str = "",
) -> Seller:
    """Verify the seller and grant product types (by default those they asked for).
    ``site`` (``scheme://primary-domain``) lets the e-mail link to the seller's studio."""
    if seller.verification_status != VerificationStatus.PENDING:
        raise SellerError(
            SellerErrorCode.INVALID_STATE,
            f"Only applications waiting for review can be approved (this one is "
            f"{seller.get_verification_status_display().lower()}).",
            kind=ErrorKind.CONFLICT,
        )
    granted = clean_product_types(
        seller.requested_product_types if product_types is None else product_types
    )
    seller.product_type_grants = granted
    seller.verification_status = VerificationStatus.VERIFIED
    seller.reviewed_at = timezone.now()
    seller.reviewed_by = actor
    seller.save()
    owner = seller.owner
    if owner.role == Role.BUYER:
        owner.role = Role.SELLER
        owner.save(update_fields=["role"])
    notify_seller_approved(seller=seller, site=site)
    return seller


@transaction.atomic
def reject_seller(*, actor: User, seller: Seller, reason: str) -> Seller:
    reason = " ".join(reason.split())[:500]
    if not reason:
        raise SellerError(
            SellerErrorCode.REASON_REQUIRED,
            "Tell the seller what to fix.",
            details={"field": "reason"},
            kind=ErrorKind.INVALID,
        )
    if seller.verification_status != VerificationStatus.PENDING:
        raise SellerError(
            SellerErrorCode.INVALID_STATE,
            "Only applications waiting for review can be rejected.",
            kind=ErrorKind.CONFLICT,
        )
    seller.verification_status = VerificationStatus.REJECTED
    seller.rejection_reason = reason
    seller.reviewed_at = timezone.now()
    seller.reviewed_by = actor
    seller.save(
        update_fields=["verification_status", "rejection_reason", "reviewed_at", "reviewed_by"]
    )
    notify_seller_rejected(seller=seller)
    return seller


def set_product_permissions(*, seller: Seller, product_types: Iterable[str]) -> Seller:
    """Only types a module enabled on this marketplace sells can be granted."""
    seller.product_type_grants = clean_product_types(product_types)
    seller.save(update_fields=["product_type_grants"])
    return seller


def set_commission(*, seller: Seller, commission_rate_bp: int | None) -> Seller:
    if commission_rate_bp is not None and not 0 <= commission_rate_bp <= 10_000:
        raise SellerError(
            SellerErrorCode.INVALID_COMMISSION,
            "Commission is in basis points, 0-10000 (1250 = 12.5 %).",
            details={"field": "commission_rate_bp"},
            kind=ErrorKind.INVALID,
        )
    seller.commission_rate_bp = commission_rate_bp
    seller.save(update_fields=["commission_rate_bp"])
    return seller


def set_seller_status(*, seller: Seller, status: SellerStatus) -> Seller:
    if seller.status == status:
        raise SellerError(
            SellerErrorCode.INVALID_STATE,
            f"The seller is already {status}.",
            kind=ErrorKind.CONFLICT,
        )
    seller.status = status
    seller.save(update_fields=["status"])
    # Search follows: an inactive seller's products leave the index (core depends on nothing
    # in catalog here; the event names product ids the catalogue consumer understands).
    emit(
        "catalog.products_changed",
        {"product_ids": list(seller.products.values_list("id", flat=True))},
    )
    cache_versions.bump(cache_versions.CATALOG)
    return seller
