"""Seller e-mails (sent after commit, see core.accounts.emails). The review decision reaches
the seller through core.notifications (``sellers.reviewed``: in-app, and by e-mail with the
same wording unless they switched it off)."""

from __future__ import annotations

from core.accounts.emails import send_account_mail
from core.accounts.models import Role, User
from core.notifications.services import notify
from core.registry import get_registry
from core.sellers.models import Seller


def notify_operators_of_submission(*, seller: Seller) -> None:
    for operator in User.objects.filter(role=Role.OPERATOR, is_active=True, is_support_agent=False):
        send_account_mail(
            to=operator.email,
            subject=f"Seller application: {seller.business_name}",
            body=f"{seller.business_name} applied to sell. Review it in the operator console.",
        )


def notify_seller_approved(*, seller: Seller, site: str = "") -> None:
    labels = {key: spec.label for key, spec in get_registry().product_types().items()}
    kinds = ", ".join(labels.get(kind, kind) for kind in sorted(seller.can_sell))
    next_step = f"\n\nCreate your first product in your studio: {site}/studio/" if site else ""
    notify(
        user_ids=[seller.owner_id],
        type_key="sellers.reviewed",
        title="You can start selling",
        body=f"{seller.business_name} is verified. You may sell: {kinds or 'nothing yet'}."
        + next_step,
        url="/studio/",
        data={"seller_id": seller.pk, "decision": "approved"},
    )


def notify_seller_rejected(*, seller: Seller) -> None:
    notify(
        user_ids=[seller.owner_id],
        type_key="sellers.reviewed",
        title="Your seller application needs changes",
        body=f"We could not verify {seller.business_name} yet.\n\nReason: "
        f"{seller.rejection_reason}\n\nUpdate your details and submit again.",
        url="/seller/onboarding/",
        data={"seller_id": seller.pk, "decision": "rejected"},
    )


def send_team_invitation(*, email: str, seller: Seller, link: str) -> None:
    send_account_mail(
        to=email,
        subject=f"Join {seller.business_name}'s team",
        body=f"You were invited to help run {seller.business_name}. Sign in (or sign up with "
        f"this e-mail address) and open:\n\n{link}\n\nThe invitation works for 7 days.",
    )
