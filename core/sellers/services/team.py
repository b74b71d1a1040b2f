"""A seller's team: invitations by e-mail, per-member permissions.

Invitations send mail to any address, so only a verified, active seller's owner with a
verified e-mail may send them, and they are rate-limited per inviting user and per seller:
the team feature is not a way to relay mail."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import ratelimit
from core.accounts.models import User
from core.accounts.throttles import rate
from core.accounts.validation import clean_registrable_email
from core.errors import ErrorKind
from core.sellers.emails import send_team_invitation
from core.sellers.errors import SellerError, SellerErrorCode
from core.sellers.models import Seller, SellerStatus, TeamInvitation, TeamMember
from core.sellers.permissions import clean_permissions
from core.sellers.services.api_keys import (
    narrow_api_keys_created_by,
    revoke_api_keys_created_by,
)

INVITATION_LIFETIME = timedelta(days=7)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_member(
    *, seller: Seller, invited_by: User, email: str, permissions: Iterable[str], base_url: str
) -> TeamInvitation:
    email = clean_registrable_email(email)
    chosen = clean_permissions(permissions)
    _require_may_invite(seller=seller, invited_by=invited_by)
    if email == seller.owner.email or seller.members.filter(user__email=email).exists():
        raise SellerError(
            SellerErrorCode.ALREADY_A_MEMBER,
            f"{email} is already on the team.",
            kind=ErrorKind.CONFLICT,
        )
    _throttle_invitations(seller=seller, invited_by=invited_by)
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


def _require_may_invite(*, seller: Seller, invited_by: User) -> None:
    if not invited_by.is_email_verified:
        raise SellerError(
            SellerErrorCode.EMAIL_NOT_VERIFIED,
            "Confirm your e-mail address before inviting people to your team.",
            kind=ErrorKind.FORBIDDEN,
        )
    if not seller.is_verified or seller.status != SellerStatus.ACTIVE:
        raise SellerError(
            SellerErrorCode.INVALID_STATE,
            "You can invite your team once the marketplace has approved your seller account.",
            kind=ErrorKind.CONFLICT,
        )


def _throttle_invitations(*, seller: Seller, invited_by: User) -> None:
    """The inviting user's bucket first: a refused attempt does not drain the seller's."""
    ratelimit.check(
        scope="team_invitation_user", key=str(invited_by.pk), rate=rate("team_invitation_user")
    )
    ratelimit.check(
        scope="team_invitation_seller", key=str(seller.pk), rate=rate("team_invitation_seller")
    )


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
            kind=ErrorKind.BAD_REQUEST,
        )
    try:
        with transaction.atomic():
            member = TeamMember.objects.create(
                seller=invitation.seller, user=user, permissions=invitation.permissions
            )
    except IntegrityError:
        raise SellerError(
            SellerErrorCode.ALREADY_A_MEMBER,
            "You are already on this team.",
            kind=ErrorKind.CONFLICT,
        ) from None
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return member


def update_member_permissions(
    *, seller: Seller, member_id: int, permissions: Iterable[str]
) -> TeamMember:
    member = _member(seller, member_id)
    member.permissions = clean_permissions(permissions)
    with transaction.atomic():
        member.save(update_fields=["permissions"])
        narrow_api_keys_created_by(seller=seller, user=member.user, permissions=member.permissions)
    return member


@transaction.atomic
def remove_member(*, seller: Seller, member_id: int) -> None:
    """The member's API keys go with them."""
    member = _member(seller, member_id)
    revoke_api_keys_created_by(seller=seller, user=member.user)
    member.delete()


def _member(seller: Seller, member_id: int) -> TeamMember:
    member = seller.members.filter(pk=member_id).first()
    if member is None:
        raise SellerError(
            SellerErrorCode.MEMBER_NOT_FOUND, "No such team member.", kind=ErrorKind.NOT_FOUND
        )
    return member
