"""Buying more for an order already placed: an extra revision when the cap is reached.
Priced from the gig's extra-revision extra as a custom offer from the seller (the buyer puts
it in the cart and pays through the one checkout); when its line is paid, the fulfil hook
adds the revisions to the order. Its escrow follows the order's: released with the order's
acceptance, refunded with its cancellation."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.accounts.models import User
from core.commerce.models import CustomOffer, OfferStatus, OrderLine
from core.commerce.services.escrow import held_in_escrow, refund_escrow, release_escrow
from core.commerce.services.offers import close_offer, create_offer
from core.sellers.models import Seller
from modules.gigs.errors import GigsErrorCode, invalid, wrong_state
from modules.gigs.models import ExtraKind, GigAddon, GigExtra, GigOrder, OrderStatus
from modules.gigs.services.orders import FUNDING, buyers_order
from modules.gigs.services.quotes import QUOTE_HOURS, extra_snapshot


@transaction.atomic
def buy_extra_revision(*, buyer: User, order_id: int) -> GigAddon:
    """An offer for the gig's extra revision, for this order (it must have a revision cap
    and not be closed)."""
    order = buyers_order(buyer=buyer, order_id=order_id, lock=True)
    if order.status in (OrderStatus.COMPLETED, OrderStatus.CANCELLED):
        raise wrong_state("This order is closed.", order.status)
    if order.revisions_allowed is None:
        raise wrong_state("This order's revisions are unlimited.", order.status)
    extra = (
        GigExtra.objects.filter(product_id=order.product_id, kind=ExtraKind.EXTRA_REVISION)
        .order_by("price", "id")
        .first()
    )
    if extra is None:
        raise invalid(GigsErrorCode.INVALID_QUOTE, "extra", "This gig sells no extra revisions.")
    seller = Seller.objects.get(pk=order.seller_id)
    offer = create_offer(
        seller=seller,
        buyer_email=buyer.email,
        product_id=order.product_id,
        variant_id=None,
        title=f"{extra.title} for order {order.pk}"[:160],
        description=order.title[:4000],
        amount=extra.price,
        currency=extra.currency,
        quantity=1,
        expires_at=timezone.now() + timedelta(hours=QUOTE_HOURS),
    )
    return GigAddon.objects.create(offer=offer, order=order, extra=extra_snapshot(extra))


def addon_paid(*, line: OrderLine) -> bool:
    """The fulfil hook's work for an add-on line (False: the line is no add-on)."""
    addon = GigAddon.objects.select_for_update().filter(offer_id=line.offer_id).first()
    if addon is None:
        return False
    if addon.order_line_id is None:
        order = GigOrder.objects.select_for_update().get(pk=addon.order_id)
        addon.order_line = line
        addon.paid_at = timezone.now()
        addon.save(update_fields=["order_line", "paid_at"])
        if addon.extra.get("kind") == FUNDING:
            from modules.gigs.services.milestones import milestone_funded

            milestone_funded(order, addon)
        elif order.revisions_allowed is not None:
            order.revisions_allowed += int(addon.extra["revisions"])
            order.save(update_fields=["revisions_allowed"])
    return True


def _paid_lines(order: GigOrder) -> list[OrderLine]:
    """Paid add-ons' lines; milestone fundings follow their milestones instead."""
    return list(
        OrderLine.objects.filter(gig_addon__order=order)
        .exclude(gig_addon__extra__kind=FUNDING)
        .order_by("id")
    )


def release_addons(order: GigOrder) -> None:
    """With the order's acceptance: what escrow holds of each paid add-on, to the seller."""
    for line in _paid_lines(order):
        if held_in_escrow(line, order.currency) > 0:
            release_escrow(order_line_id=line.pk, reference=f"gig:{order.pk}:accept")


def refund_addons(order: GigOrder) -> None:
    """With the order's cancellation: each paid add-on back to the buyer."""
    for line in _paid_lines(order):
        if line.refunded_amount < line.total:
            refund_escrow(
                order_line_id=line.pk,
                reference=f"gig:{order.pk}:cancel",
                reason="Gig order cancelled: its add-on is refunded",
            )


def withdraw_unpaid(order: GigOrder) -> None:
    """The order closed: add-ons offered but not paid can no longer be bought (checkout
    refuses a closed offer), so nothing is paid for an order that is over."""
    offers = CustomOffer.objects.filter(gig_addon__order=order, status=OfferStatus.OPEN)
    for offer in offers:
        close_offer(offer=offer, status=OfferStatus.WITHDRAWN)
