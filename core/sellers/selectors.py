"""Which seller a signed-in user acts for, with their team permissions checked."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.accounts.models import User
from core.errors import ErrorKind
from core.sellers.errors import SellerError, SellerErrorCode
from core.sellers.models import (
    Seller,
    SellerStatus,
    TeamMember,
    TeamPermission,
    VerificationStatus,
)
from core.sellers.permissions import missing_permissions, remember_held_permissions


def own_seller(user: User) -> Seller:
    """The seller account the user owns (for onboarding and team management)."""
    seller = Seller.objects.filter(owner=user).first()
    if seller is None:
        raise SellerError(
            SellerErrorCode.NOT_A_SELLER,
            "You have no seller account; start onboarding first.",
            kind=ErrorKind.FORBIDDEN,
        )
    return seller


def acting_seller(user: User, permission: TeamPermission) -> Seller:
    """The owner has every permission; a team member only those granted."""
    return acting_seller_holding(user, (permission,))


def acting_seller_holding(user: User, permissions: Iterable[str]) -> Seller:
    """The seller ``user`` acts for, if they hold every one of ``permissions`` (the owner
    holds all; a team member those granted). Used by pages, the API's seller auth and a
    module's seller side (its manifest's ``permissions``)."""
    seller = Seller.objects.filter(owner=user).first()
    if seller is not None:
        return seller
    membership = (
        TeamMember.objects.filter(user=user).select_related("seller").order_by("id").first()
    )
    if membership is None:
        raise SellerError(
            SellerErrorCode.NOT_A_SELLER,
            "You are not part of a seller account.",
            kind=ErrorKind.FORBIDDEN,
        )
    missing = missing_permissions(membership.permissions, permissions)
    if missing:
        raise SellerError(
            SellerErrorCode.PERMISSION_DENIED,
            f"Your team role lacks the '{missing[0]}' permission.",
            details={"required_permission": str(missing[0])},
            kind=ErrorKind.FORBIDDEN,
        )
    remember_held_permissions(membership.seller, user, membership.permissions)
    return membership.seller


def profile_fields(seller: Seller) -> dict[str, Any]:
    """The seller's own fields of their public profile; the whole profile, with the count of
    completed orders commerce keeps, is ``core.commerce.seller_profiles.public_seller_profile``
    (sellers do not import commerce: it builds on them)."""
    return {
        "slug": seller.slug,
        "business_name": seller.business_name,
        "bio": seller.bio,
        "website": seller.website,
        "portfolio": seller.portfolio,
        "is_verified": seller.is_verified,
        "rating_average_tenths": seller.rating_average_tenths,
        "rating_count": seller.rating_count,
        "member_since": seller.created_at,
    }


def visible_seller(slug: str) -> Seller:
    """Only verified, active sellers have a public profile; the rest do not exist to buyers."""
    seller = Seller.objects.filter(
        slug=slug, verification_status=VerificationStatus.VERIFIED, status=SellerStatus.ACTIVE
    ).first()
    if seller is None:
        raise SellerError(
            SellerErrorCode.SELLER_NOT_FOUND, "No such seller.", kind=ErrorKind.NOT_FOUND
        )
    return seller
