"""Which seller a signed-in user acts for, with their team permissions checked."""

from __future__ import annotations

from core.accounts.models import User
from core.sellers.errors import SellerError, SellerErrorCode
from core.sellers.models import Seller, TeamMember, TeamPermission


def own_seller(user: User) -> Seller:
    """The seller account the user owns (for onboarding and team management)."""
    seller = Seller.objects.filter(owner=user).first()
    if seller is None:
        raise SellerError(
            SellerErrorCode.NOT_A_SELLER,
            "You have no seller account; start onboarding first.",
            status=403,
        )
    return seller


def acting_seller(user: User, permission: TeamPermission) -> Seller:
    """The owner has every permission; a team member only those granted."""
    seller = Seller.objects.filter(owner=user).first()
    if seller is not None:
        return seller
    membership = (
        TeamMember.objects.filter(user=user).select_related("seller").order_by("id").first()
    )
    if membership is None:
        raise SellerError(
            SellerErrorCode.NOT_A_SELLER, "You are not part of a seller account.", status=403
        )
    if permission not in membership.permissions:
        raise SellerError(
            SellerErrorCode.PERMISSION_DENIED,
            f"Your team role lacks the '{permission}' permission.",
            details={"required_permission": str(permission)},
            status=403,
        )
    return membership.seller
