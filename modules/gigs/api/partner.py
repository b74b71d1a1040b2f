"""The gigs partner API, for a seller's own systems: ``/api/v1/partner/v1/gigs/``.

Authenticated by the seller's API key (``X-API-Key``, core.sellers), which must carry the
``process_orders`` team permission (checked on the router, before the body is read), and
logged in the seller's integration log like every partner call, refusals included;
everything is the key's seller's, and another seller's order is 404. ``GET /orders``
(newest first, optional ``status``), ``GET /orders/{id}`` (its status, requirements,
deliveries) and ``POST /orders/{id}/deliver`` (a delivery made of links, delivered at once:
the same services as the studio)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router

from core.integrations.api import log_partner_calls
from core.sellers.auth import authorised_seller, seller_key_auth
from core.sellers.models import TeamPermission
from modules.gigs import presenters, selectors
from modules.gigs.models import GigOrder
from modules.gigs.schemas import DraftIn, OrderOut, OrderRowOut
from modules.gigs.services import deliveries

router = Router(tags=["gigs partner"], auth=seller_key_auth(TeamPermission.PROCESS_ORDERS))
router.add_decorator(log_partner_calls, mode="view")


@router.get("/orders", response=list[OrderRowOut], summary="Your gig orders, newest first")
def orders(request: HttpRequest, status: str | None = None) -> list[dict[str, Any]]:
    seller = authorised_seller(request)
    rows = GigOrder.objects.filter(seller=seller).order_by("-id")
    if status:
        rows = rows.filter(status=status)
    return [presenters.order_row(order) for order in rows[:100]]


@router.get("/orders/{order_id}", response=OrderOut, summary="A gig order and its status")
def order(request: HttpRequest, order_id: int) -> dict[str, Any]:
    seller = authorised_seller(request)
    return presenters.order_dict(selectors.sellers_order_detail(seller, order_id), with_drafts=True)


@router.post(
    "/orders/{order_id}/deliver",
    response=OrderOut,
    summary="Deliver links with the checklist ticked (one step: draft and delivery)",
)
def deliver(request: HttpRequest, order_id: int, payload: DraftIn) -> dict[str, Any]:
    seller = authorised_seller(request)
    with transaction.atomic():
        draft = deliveries.save_draft(
            seller_id=seller.pk,
            order_id=order_id,
            data=deliveries.DraftData(**payload.model_dump()),
        )
        deliveries.deliver(seller_id=seller.pk, order_id=order_id, delivery_id=draft.pk)
    return presenters.order_dict(selectors.sellers_order_detail(seller, order_id), with_drafts=True)
