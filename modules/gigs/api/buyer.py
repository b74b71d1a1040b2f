"""Buyers: a gig's listing, a quote for a package with extras (a custom offer to put in the
cart), their gig orders, requirements, revision requests, acceptance and cancelling a very
late order."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase
from ninja import Router, Status

from core.accounts.auth import user_auth
from core.accounts.principal import principal_of
from core.idempotency.store import run_idempotent
from modules.gigs import files, presenters, selectors
from modules.gigs.api import common
from modules.gigs.schemas import (
    AddonOut,
    CancellationAnswerIn,
    CancellationIn,
    FeedbackIn,
    FundingOut,
    GigOut,
    OrderOut,
    OrderRowOut,
    PartReleaseIn,
    PartReleaseOut,
    QuoteIn,
    QuoteOut,
    RequirementsIn,
    RevisionIn,
    RevisionOut,
    SellerStatsOut,
)
from modules.gigs.services import (
    addons,
    deliveries,
    feedback,
    milestones,
    orders,
    quotes,
)

router = Router(tags=["gigs"])


def _order(request: HttpRequest, order_id: int) -> dict[str, Any]:
    return common.order_out(request, order_id, "buyer")


@router.get("/listings/{product_id}", response=GigOut, summary="A gig: packages, extras, FAQ")
def gig_listing(request: HttpRequest, product_id: int) -> dict[str, Any]:
    return presenters.gig_dict(selectors.published_gig(product_id))


@router.post(
    "/listings/{product_id}/quotes",
    response={201: QuoteOut},
    auth=user_auth,
    summary="Price a package with extras as an offer to put in your cart",
)
def create_quote(request: HttpRequest, product_id: int, payload: QuoteIn) -> Status[Any]:
    quote = quotes.create_quote(
        buyer=principal_of(request).user,
        product_id=product_id,
        tier=payload.tier,
        extra_ids=payload.extra_ids,
    )
    currency = quote.offer.currency
    return Status(
        201,
        {
            "quote_id": quote.pk,
            "offer_id": quote.offer_id,
            "amount": quote.offer.amount,
            "currency": currency,
            "package": {"description": "", **quote.package, "currency": currency},
            "extras": [{**extra, "currency": currency} for extra in quote.extras],
        },
    )


@router.get("/orders", response=list[OrderRowOut], auth=user_auth, summary="Your gig orders")
def my_orders(request: HttpRequest) -> list[dict[str, Any]]:
    rows = selectors.buyer_orders(principal_of(request).user)[:100]
    return [presenters.order_row(order) for order in rows]


@router.get("/orders/{order_id}", response=OrderOut, auth=user_auth, summary="A gig order")
def my_order(request: HttpRequest, order_id: int) -> dict[str, Any]:
    return _order(request, order_id)


@router.post(
    "/orders/{order_id}/requirements",
    response=OrderOut,
    auth=user_auth,
    summary="Submit the requirements: the delivery clock starts",
)
def submit_requirements(
    request: HttpRequest, order_id: int, payload: RequirementsIn
) -> dict[str, Any]:
    orders.submit_requirements(
        buyer=principal_of(request).user, order_id=order_id, answers=payload.answers
    )
    return _order(request, order_id)


@router.post(
    "/orders/{order_id}/revisions",
    response={201: RevisionOut},
    auth=user_auth,
    summary="Ask for a revision of the delivery",
)
def request_revision(request: HttpRequest, order_id: int, payload: RevisionIn) -> Status[Any]:
    revision = deliveries.request_revision(
        buyer=principal_of(request).user, order_id=order_id, notes=payload.notes
    )
    return Status(201, revision)


@router.post(
    "/orders/{order_id}/accept",
    response=OrderOut,
    auth=user_auth,
    summary="Accept the delivery: the seller is paid from escrow (Idempotency-Key)",
)
def accept(request: HttpRequest, order_id: int) -> Any:
    buyer = principal_of(request).user
    return common.once(
        request,
        order_id,
        "buyer",
        scope="accept",
        action=lambda order: deliveries.accept(buyer=buyer, order_id=order.pk),
    )


@router.post(
    "/orders/{order_id}/cancel",
    response=OrderOut,
    auth=user_auth,
    summary="Cancel a very late order with a full refund (Idempotency-Key)",
)
def cancel(request: HttpRequest, order_id: int) -> Any:
    buyer = principal_of(request).user
    return common.once(
        request,
        order_id,
        "buyer",
        scope="cancel",
        action=lambda order: orders.cancel_very_late(buyer=buyer, order_id=order.pk),
    )


@router.post(
    "/orders/{order_id}/milestones/agree",
    response=OrderOut,
    auth=user_auth,
    summary="Agree the seller's milestones: escrow is then released milestone by milestone",
)
def agree_milestones(request: HttpRequest, order_id: int) -> dict[str, Any]:
    milestones.agree_milestones(buyer=principal_of(request).user, order_id=order_id)
    return _order(request, order_id)


@router.post(
    "/orders/{order_id}/milestones/{number}/fund",
    response={201: FundingOut},
    auth=user_auth,
    summary="Fund a milestone of a milestone offer (an offer to put in your cart; held in "
    "escrow until you accept the milestone)",
)
def fund_milestone(request: HttpRequest, order_id: int, number: int) -> Status[Any]:
    addon = milestones.fund_milestone(
        buyer=principal_of(request).user, order_id=order_id, number=number
    )
    return Status(
        201,
        {
            "addon_id": addon.pk,
            "offer_id": addon.offer_id,
            "number": number,
            "amount": addon.offer.amount,
            "currency": addon.offer.currency,
        },
    )


@router.post(
    "/orders/{order_id}/release",
    response=PartReleaseOut,
    auth=user_auth,
    summary="Release an agreed percentage of the work in progress now (Idempotency-Key)",
)
def release_part(request: HttpRequest, order_id: int, payload: PartReleaseIn) -> Any:
    buyer = principal_of(request).user
    common.owned_order(request, order_id, "buyer")  # another buyer's: 404 first

    def operation(key: str) -> tuple[int, dict[str, Any]]:
        released = milestones.release_part(buyer=buyer, order_id=order_id, percent=payload.percent)
        out = PartReleaseOut.model_validate(
            {"released": released, "order": _order(request, order_id)}
        )
        return 200, out.model_dump(mode="json")

    return run_idempotent(
        request,
        user_id=buyer.pk,
        scope=f"gig-release:{order_id}",
        body=payload.model_dump(),
        operation=operation,
    )


@router.post(
    "/orders/{order_id}/cancellation",
    response=OrderOut,
    auth=user_auth,
    summary="Ask the seller to cancel (no answer within the window cancels)",
)
def request_cancellation(
    request: HttpRequest, order_id: int, payload: CancellationIn
) -> dict[str, Any]:
    return common.ask_cancellation(request, order_id, "buyer", payload.reason)


@router.post(
    "/orders/{order_id}/cancellation/answer",
    response=OrderOut,
    auth=user_auth,
    summary="Answer the seller's request to cancel (Idempotency-Key)",
)
def answer_cancellation(request: HttpRequest, order_id: int, payload: CancellationAnswerIn) -> Any:
    return common.answer_cancellation(request, order_id, "buyer", is_accepted=payload.is_accepted)


@router.post(
    "/orders/{order_id}/feedback",
    response=OrderOut,
    auth=user_auth,
    summary="Rate the seller's work (hidden from them until they rated you, or 14 days)",
)
def leave_feedback(request: HttpRequest, order_id: int, payload: FeedbackIn) -> dict[str, Any]:
    scores = feedback.Scores(**payload.model_dump())
    return common.give_feedback(request, order_id, "buyer", scores)


@router.get(
    "/sellers/{seller_id}/stats",
    response=SellerStatsOut,
    summary="A seller's gig record: completion and on-time rates, published ratings",
)
def seller_stats(request: HttpRequest, seller_id: int) -> Any:
    return feedback.seller_stats(seller_id=seller_id)


@router.post(
    "/orders/{order_id}/extra-revisions",
    response={201: AddonOut},
    auth=user_auth,
    summary="Buy an extra revision (an offer to put in your cart)",
)
def buy_extra_revision(request: HttpRequest, order_id: int) -> Status[Any]:
    addon = addons.buy_extra_revision(buyer=principal_of(request).user, order_id=order_id)
    return Status(
        201,
        {
            "addon_id": addon.pk,
            "offer_id": addon.offer_id,
            "amount": addon.offer.amount,
            "currency": addon.offer.currency,
            "revisions": addon.extra["revisions"],
        },
    )


@router.get(
    "/orders/{order_id}/files/{file_id}",
    openapi_extra=files.OPENAPI,
    auth=user_auth,
    summary="Download a delivered file",
)
def delivered_file(request: HttpRequest, order_id: int, file_id: int) -> HttpResponseBase:
    order = selectors.buyers_order_detail(principal_of(request).user, order_id)
    return files.serve(files.delivery_file(order, file_id, with_drafts=False))


@router.get(
    "/orders/{order_id}/files/{file_id}/preview",
    openapi_extra=files.OPENAPI,
    auth=user_auth,
    summary="The watermarked preview of a file locked until you accept",
)
def delivered_file_preview(request: HttpRequest, order_id: int, file_id: int) -> HttpResponseBase:
    order = selectors.buyers_order_detail(principal_of(request).user, order_id)
    return files.serve_preview(files.preview_file(order, file_id))
