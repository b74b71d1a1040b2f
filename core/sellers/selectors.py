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
    """The seller of the API key that authenticated this partner API request, after checking
    the key carries ``permission`` (None: any key of the seller, e.g. for its public
    profile)."""
    identity: ApiKeyIdentity = request.api_key_identity  # type: ignore[attr-defined]
    if permission is not None:
        require_key_permission(identity, permission)
    return Seller.objects.get(pk=identity.seller_id)


def completed_order_count(seller: Seller) -> int:
    """The seller's sub-orders that reached "completed", counted from the orders themselves
    (one query on the sub-orders' seller index) rather than a counter something must keep in
    step (the old ``Seller.completed_orders`` column was never updated and is gone)."""
    from core.commerce.models import OrderStatus  # commerce builds on sellers, not the reverse

    return seller.sub_orders.filter(status=OrderStatus.COMPLETED).count()


def public_profile(seller: Seller) -> dict[str, Any]:
    return {
        "slug": seller.slug,
        "business_name": seller.business_name,
        "bio": seller.bio,
        "website": seller.website,
        "portfolio": seller.portfolio,
        "is_verified": seller.is_verified,
        "rating_average_tenths": seller.rating_average_tenths,
        "rating_count": seller.rating_count,
        "completed_orders": completed_order_count(seller),
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
