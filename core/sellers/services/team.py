"""A seller's team: invitations by e-mail, per-member permissions."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.accounts.models import User
from core.accounts.validation import clean_email
from core.sellers.emails import send_team_invitation
from core.sellers.errors import SellerError, SellerErrorCode
from core.sellers.models import Seller, TeamInvitation, TeamMember, TeamPermission

INVITATION_LIFETIME = timedelta(days=7)


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


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_member(
    *, seller: Seller, invited_by: User, email: str, permissions: Iterable[str], base_url: str
) -> TeamInvitation:
    email = clean_email(email)
    chosen = clean_permissions(permissions)
    if email == seller.owner.email or seller.members.filter(user__email=email).exists():
        raise SellerError(
            SellerErrorCode.ALREADY_A_MEMBER, f"{email} is already on the team.", status=409
        )
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = TeamInvitation.objects.create(
            seller=seller,
            email=email,
            permissions=chosen,
            token_hash=_hash(token),
            invited_by=invited_by,
            expires_at=timezone.now() + INVITATION_LIFETIME,
        )
        send_team_invitation(
            email=email, seller=seller, link=f"{base_url}/seller/team/join/{token}/"
        )
    return invitation


@transaction.atomic
def accept_invitation(*, user: User, token: str) -> TeamMember:
    """Only the invited address can accept, and only once."""
    invitation = (
        TeamInvitation.objects.select_for_update()
        .filter(token_hash=_hash(token), accepted_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if invitation is None or invitation.email != user.email:
        raise SellerError(
            SellerErrorCode.INVITATION_INVALID,
            "This invitation is invalid, expired, already used, or for another e-mail address.",
            status=400,
        )
    try:
        with transaction.atomic():
            member = TeamMember.objects.create(
                seller=invitation.seller, user=user, permissions=invitation.permissions
            )
    except IntegrityError:
        raise SellerError(
            SellerErrorCode.ALREADY_A_MEMBER, "You are already on this team.", status=409
        ) from None
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return member


def update_member_permissions(
    *, seller: Seller, member_id: int, permissions: Iterable[str]
) -> TeamMember:
    member = _member(seller, member_id)
    member.permissions = clean_permissions(permissions)
    member.save(update_fields=["permissions"])
    return member


def remove_member(*, seller: Seller, member_id: int) -> None:
    _member(seller, member_id).delete()


def _member(seller: Seller, member_id: int) -> TeamMember:
    member = seller.members.filter(pk=member_id).first()
    if member is None:
        raise SellerError(SellerErrorCode.MEMBER_NOT_FOUND, "No such team member.", status=404)
    return member
