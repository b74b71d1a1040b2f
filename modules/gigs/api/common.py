"""What the buyer's and the seller's routers share: an order as its party sees it, the
party's own order (another's is 404 first), the Idempotency-Key wrapper every money-moving
or once-only POST takes, and the actions both parties have (cancellation, feedback)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from django.http import HttpRequest

from core.accounts.principal import principal_of
from core.idempotency.store import run_idempotent
from core.sellers.auth import authorised_seller
from modules.gigs import presenters, selectors
from modules.gigs.models import GigOrder
from modules.gigs.schemas import OrderOut
from modules.gigs.services import cancellation, feedback, orders

Party = Literal["buyer", "seller"]


def owned_order(request: HttpRequest, order_id: int, party: Party) -> GigOrder:
    """The party's own order: another buyer's or seller's is not found."""
    if party == "buyer":
        return orders.buyers_order(buyer=principal_of(request).user, order_id=order_id)
    return orders.sellers_order(seller_id=authorised_seller(request).pk, order_id=order_id)


def order_out(request: HttpRequest, order_id: int, party: Party) -> dict[str, Any]:
    """The whole order: the buyer sees what was delivered, the seller their drafts too."""
    if party == "buyer":
        found = selectors.buyers_order_detail(principal_of(request).user, order_id)
    else:
        found = selectors.sellers_order_detail(authorised_seller(request), order_id)
    return presenters.order_dict(found, with_drafts=party == "seller")


def once(
    request: HttpRequest,
    order_id: int,
    party: Party,
    *,
    scope: str,
    action: Callable[[GigOrder], object],
    body: Any = None,
) -> Any:
    """Run ``action`` on the party's order once per Idempotency-Key (a replay answers the
    first result again, nothing happens twice); the answer is the order afterwards."""
    order = owned_order(request, order_id, party)  # another's: 404 before the key is taken

    def operation(key: str) -> tuple[int, dict[str, Any]]:
        action(order)
        out = OrderOut.model_validate(order_out(request, order_id, party))
        return 200, out.model_dump(mode="json")

    return run_idempotent(
        request,
        user_id=principal_of(request).user.pk,
        scope=f"gig-{scope}:{order_id}",
        body=body or {},
        operation=operation,
    )


def ask_cancellation(
    request: HttpRequest, order_id: int, party: Party, reason: str
) -> dict[str, Any]:
    order = owned_order(request, order_id, party)
    cancellation.request_cancellation(order_id=order.pk, party=party, reason=reason)
    return order_out(request, order_id, party)


def answer_cancellation(
    request: HttpRequest, order_id: int, party: Party, *, is_accepted: bool
) -> Any:
    """Idempotent: answering twice with one key answers once (a refund moves once)."""
    return once(
        request,
        order_id,
        party,
        scope=f"cancellation-answer-{party}",
        body={"is_accepted": is_accepted},
        action=lambda order: cancellation.answer_cancellation(
            order_id=order.pk, party=party, is_accepted=is_accepted
        ),
    )


def give_feedback(
    request: HttpRequest, order_id: int, party: Party, scores: feedback.Scores
) -> dict[str, Any]:
    order = owned_order(request, order_id, party)
    feedback.leave_feedback(order_id=order.pk, party=party, scores=scores)
    return order_out(request, order_id, party)
