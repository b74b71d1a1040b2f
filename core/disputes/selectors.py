"""Who may see a dispute: its complainant, the respondent seller's team (the owner, and
members who process orders), and the marketplace's operators. Everyone else gets 404."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.accounts.models import Role, User
from core.disputes.errors import not_found
from core.disputes.models import OPEN_STATUSES, Dispute, DisputeEvidence
from core.sellers.models import Seller, TeamMember, TeamPermission


def team_seller_ids(user: User) -> list[int]:
    owned = list(Seller.objects.filter(owner=user).values_list("pk", flat=True))
    member = TeamMember.objects.filter(
        user=user, permissions__contains=[TeamPermission.PROCESS_ORDERS.value]
    ).values_list("seller_id", flat=True)
    return owned + list(member)


def team_user_ids(seller_id: int | None) -> list[int]:
    if seller_id is None:
        return []
    owner = Seller.objects.filter(pk=seller_id).values_list("owner_id", flat=True).first()
    members = TeamMember.objects.filter(
        seller_id=seller_id, permissions__contains=[TeamPermission.PROCESS_ORDERS.value]
    ).values_list("user_id", flat=True)
    return sorted({*([owner] if owner else []), *members})


def operator_ids() -> list[int]:
    return list(
        User.objects.filter(role=Role.OPERATOR, is_active=True).values_list("pk", flat=True)
    )


def is_operator(user: User) -> bool:
    return bool(user.role == Role.OPERATOR)


def visible_disputes(user: User, *, as_operator: bool = False) -> QuerySet[Dispute]:
    if as_operator and is_operator(user):
        return Dispute.objects.all()
    return Dispute.objects.filter(Q(complainant=user) | Q(seller_id__in=team_seller_ids(user)))


def can_see(user: User, dispute: Dispute) -> bool:
    return (
        is_operator(user)
        or dispute.complainant_id == user.pk
        or (dispute.seller_id is not None and dispute.seller_id in team_seller_ids(user))
    )


def party_of(user: User, dispute: Dispute) -> str | None:
    """``complainant``, ``respondent``, ``operator`` or None."""
    if dispute.complainant_id == user.pk:
        return "complainant"
    if dispute.seller_id is not None and dispute.seller_id in team_seller_ids(user):
        return "respondent"
    if is_operator(user):
        return "operator"
    return None


def dispute_for(user: User, dispute_id: int) -> Dispute:
    dispute = Dispute.objects.filter(pk=dispute_id).first()
    if dispute is None or not can_see(user, dispute):
        raise not_found()
    return dispute


def evidence_for(user: User, dispute_id: int, evidence_id: int) -> DisputeEvidence:
    dispute = dispute_for(user, dispute_id)
    evidence = DisputeEvidence.objects.filter(pk=evidence_id, dispute=dispute).first()
    if evidence is None:
        raise not_found()
    return evidence


def open_dispute_on_line(order_line_id: int) -> Dispute | None:
    """The dispute still open on an order line (at most one is), for the pages that show the
    line: a module's order page says the money waits for the dispute's decision."""
    return (
        Dispute.objects.filter(order_line_id=order_line_id, status__in=OPEN_STATUSES)
        .order_by("-id")
        .first()
    )
