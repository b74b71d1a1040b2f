"""Team permissions: checking a chosen set, and which ones a user holds for a seller. Shared by
team invitations, member updates and API keys (a key carries at most its creator's)."""

from __future__ import annotations

from collections.abc import Iterable

from core.accounts.models import User
from core.sellers.errors import SellerError, SellerErrorCode
from core.sellers.models import Seller, TeamPermission

ALL_PERMISSIONS = frozenset(TeamPermission.values)


def clean_permissions(permissions: Iterable[str]) -> list[str]:
    chosen = sorted(set(permissions))
    unknown = [p for p in chosen if p not in TeamPermission.values]
    if unknown:
        raise SellerError(
            SellerErrorCode.INVALID_PERMISSION,
            f"Unknown permissions: {', '.join(unknown)}. Choose from "
            f"{', '.join(TeamPermission.values)}.",
            details={"field": "permissions", "unknown": unknown},
            status=422,
        )
    return chosen


def held_permissions(user: User, seller: Seller) -> frozenset[str]:
    """The owner holds every permission; a team member those granted; anyone else none."""
    if seller.owner_id == user.pk:
        return ALL_PERMISSIONS
    membership = seller.members.filter(user=user).values_list("permissions", flat=True).first()
    return frozenset(membership or ()) & ALL_PERMISSIONS
