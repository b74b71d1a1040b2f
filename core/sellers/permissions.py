"""Team permissions: checking a chosen set, and which ones a user holds for a seller. Shared by
team invitations, member updates and API keys (a key carries at most its creator's)."""

from __future__ import annotations

from collections.abc import Iterable

from core.accounts.models import User
from core.errors import ErrorKind
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
            kind=ErrorKind.INVALID,
        )
    return chosen


# (user id, permissions) on a Seller instance fetched for that teammate (``acting_seller``),
# so a page that authorised them can show its navigation without asking again.
_HELD_ATTR = "_souk_held_permissions"


def remember_held_permissions(seller: Seller, user: User, permissions: Iterable[str]) -> None:
    setattr(seller, _HELD_ATTR, (user.pk, frozenset(permissions) & ALL_PERMISSIONS))


def held_permissions(user: User, seller: Seller) -> frozenset[str]:
    """The owner holds every permission; a team member those granted; anyone else none."""
    if seller.owner_id == user.pk:
        return ALL_PERMISSIONS
    remembered: tuple[int, frozenset[str]] | None = getattr(seller, _HELD_ATTR, None)
    if remembered is not None and remembered[0] == user.pk:
        return remembered[1]
    membership = seller.members.filter(user=user).values_list("permissions", flat=True).first()
    return frozenset(membership or ()) & ALL_PERMISSIONS


def missing_permissions(held: Iterable[str], needed: Iterable[str]) -> list[str]:
    """``needed`` not in ``held``, in the order asked."""
    granted = set(held)
    return [permission for permission in needed if permission not in granted]
