"""The studio's own writes: a seller's private note about a customer."""

from __future__ import annotations

from django.db import transaction

from core.accounts.models import User
from core.errors import ErrorKind
from core.sellers.models import Seller
from core.studio.models import CustomerNote
from core.studio.sales.errors import StudioSalesError, StudioSalesErrorCode
from core.studio.sales.selectors import is_customer_of

MAX_NOTE = 4000


@transaction.atomic
def save_customer_note(
    *, seller: Seller, buyer_id: int, author: User, body: str
) -> CustomerNote | None:
    """Write (or, with an empty body, remove) the seller's note about one of their buyers.
    A buyer who never bought from the seller is not their customer: not found."""
    if not is_customer_of(seller, buyer_id):
        raise StudioSalesError(
            StudioSalesErrorCode.CUSTOMER_NOT_FOUND, "No such customer.", kind=ErrorKind.NOT_FOUND
        )
    body = body.strip()
    if len(body) > MAX_NOTE:
        raise StudioSalesError(
            StudioSalesErrorCode.INVALID_NOTE,
            f"Notes are at most {MAX_NOTE} characters.",
            details={"field": "body"},
            kind=ErrorKind.INVALID,
        )
    if not body:
        CustomerNote.objects.filter(seller=seller, buyer_id=buyer_id).delete()
        return None
    note, _ = CustomerNote.objects.update_or_create(
        seller=seller, buyer_id=buyer_id, defaults={"body": body, "updated_by": author}
    )
    return note
