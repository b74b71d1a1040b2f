"""Which seller a signed-in user acts for, with their team permissions checked."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

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
from core.sellers.services.api_keys import ApiKeyIdentity, require_key_permission


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


def api_key_seller(request: HttpRequest, permission: TeamPermission | None) -> Seller:
    """To go: the partner API authorises on the operation (``core.sellers.auth.seller_key_auth``)
    and views read ``authorised_seller(request)``; only ``core/sellers/api.py``'s
    ``partner_seller`` still calls this (a request to the lead), then delete it."""
    identity: ApiKeyIdentity = request.api_key_identity  # type: ignore[attr-defined]
    if permission is not None:
        require_key_permission(identity, permission)
    return Seller.objects.get(pk=identity.seller_id)


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


# --- to go: callers move to core.commerce.seller_profiles (requested of the lead) -------------
# core/sellers/api.py, core/storefront/views.py and tests/test_storefront_seller_profile.py still
# import these two; once they import ``public_seller_profile`` / ``completed_order_count`` from
# ``core.commerce.seller_profiles`` instead, delete both (and with them the last function-level
# import of commerce in sellers).


def completed_order_count(seller: Seller) -> int:
    """Moved: ``core.commerce.seller_profiles.completed_order_count``."""
    from core.commerce.seller_profiles import completed_order_count as count

    return count(seller)


def public_profile(seller: Seller) -> dict[str, Any]:
    """Moved: ``core.commerce.seller_profiles.public_seller_profile``."""
    from core.commerce.seller_profiles import public_seller_profile

    return public_seller_profile(seller)


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
