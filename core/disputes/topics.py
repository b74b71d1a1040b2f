"""The ``dispute`` topic: its complainant, the seller's team and operators may listen."""

from __future__ import annotations

from core.accounts.models import User
from core.disputes.models import Dispute
from core.disputes.selectors import can_see


def can_join_dispute(user_id: int, dispute_id: int) -> bool:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    dispute = Dispute.objects.filter(pk=dispute_id).first()
    return user is not None and dispute is not None and can_see(user, dispute)
