"""Sellers: set up a gig (packages, extras, requirements questions, FAQ), the order queue
and deliveries (drafts, files, deliver). Mounted behind the manifest's permissions, so the
handlers read the seller with ``authorised_seller``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from core.sellers.auth import authorised_seller
from modules.gigs import files, presenters, selectors
from modules.gigs.api import common
from modules.gigs.schemas import (
    CancellationAnswerIn,
    CancellationIn,
    DeliveryOut,
    DraftIn,
    ExtrasIn,
    FaqListIn,
    FeedbackIn,
    FileOut,
    GigOut,
    MilestoneOfferIn,
    MilestoneOfferOut,
    MilestonesIn,
    OrderOut,
    OrderRowOut,
    PackagesIn,
    QuestionsIn,
)
from modules.gigs.services import deliveries, feedback, listing, milestones, quotes

seller_router = Router(tags=["gigs"])


def _gig(request: HttpRequest, product_id: int) -> Any:
    return listing.sellers_gig(seller=authorised_seller(request), product_id=product_id)


def _gig_out(request: HttpRequest, product_id: int) -> dict[str, Any]:
    return presenters.gig_dict(_gig(request, product_id))


@seller_router.get("/gigs/{product_id}", response=GigOut, summary="Your gig's set-up")
def get_gig(request: HttpRequest, product_id: int) -> dict[str, Any]:
    return _gig_out(request, product_id)


@seller_router.put("/gigs/{product_id}/packages", response=GigOut, summary="Set the packages")
def put_packages(request: HttpRequest, product_id: int, payload: PackagesIn) -> dict[str, Any]:
    listing.set_packages(
        product=_gig(request, product_id),
        packages=[listing.PackageData(**item.model_dump()) for item in payload.packages],
    )
    return _gig_out(request, product_id)


@seller_router.put("/gigs/{product_id}/extras", response=GigOut, summary="Set the extras")
def put_extras(request: HttpRequest, product_id: int, payload: ExtrasIn) -> dict[str, Any]:
    listing.set_extras(
        product=_gig(request, product_id),
        extras=[listing.ExtraData(**item.model_dump()) for item in payload.extras],
    )
    return _gig_out(request, product_id)


@seller_router.put(
    "/gigs/{product_id}/questions", response=GigOut, summary="Set the requirements questions"
)
def put_questions(request: HttpRequest, product_id: int, payload: QuestionsIn) -> dict[str, Any]:
    listing.set_questions(
        product=_gig(request, product_id),
        questions=[listing.QuestionData(**item.model_dump()) for item in payload.questions],
    )
    return _gig_out(request, product_id)


@seller_router.put("/gigs/{product_id}/faq", response=GigOut, summary="Set the FAQ")
def put_faq(request: HttpRequest, product_id: int, payload: FaqListIn) -> dict[str, Any]:
    listing.set_faq(
        product=_gig(request, product_id),
        faq=[listing.FaqData(**item.model_dump()) for item in payload.faq],
    )
    return _gig_out(request, product_id)


@seller_router.get(
    "/orders", response=list[OrderRowOut], summary="Your open gig orders, by due date"
)
def queue(request: HttpRequest) -> list[dict[str, Any]]:
    rows = selectors.seller_queue(authorised_seller(request))[:200]
    return [presenters.order_row(order) for order in rows]


@seller_router.get("/orders/{order_id}", response=OrderOut, summary="One of your gig orders")
def order(request: HttpRequest, order_id: int) -> dict[str, Any]:
    return common.order_out(request, order_id, "seller")


def _delivery_out(request: HttpRequest, order_id: int, delivery_id: int) -> dict[str, Any]:
    detail = common.order_out(request, order_id, "seller")
    return next(item for item in detail["deliveries"] if item["id"] == delivery_id)


def _draft(payload: DraftIn) -> deliveries.DraftData:
    return deliveries.DraftData(**payload.model_dump())


@seller_router.post(
    "/orders/{order_id}/deliveries", response={201: DeliveryOut}, summary="Start a delivery draft"
)
def create_draft(request: HttpRequest, order_id: int, payload: DraftIn) -> Status[Any]:
    delivery = deliveries.save_draft(
        seller_id=authorised_seller(request).pk, order_id=order_id, data=_draft(payload)
    )
    return Status(201, _delivery_out(request, order_id, delivery.pk))


@seller_router.put(
    "/orders/{order_id}/deliveries/{delivery_id}", response=DeliveryOut, summary="Edit a draft"
)
def edit_draft(
    request: HttpRequest, order_id: int, delivery_id: int, payload: DraftIn
) -> dict[str, Any]:
    deliveries.save_draft(
        seller_id=authorised_seller(request).pk,
        order_id=order_id,
        data=_draft(payload),
        delivery_id=delivery_id,
    )
    return _delivery_out(request, order_id, delivery_id)


@seller_router.post(
    "/orders/{order_id}/deliveries/{delivery_id}/files",
    response={201: FileOut},
    summary="Attach a file to a draft (stored privately)",
)
def attach_file(
    request: HttpRequest,
    order_id: int,
    delivery_id: int,
    file: File[UploadedFile],
    is_locked_until_accepted: Form[bool] = False,
) -> Status[Any]:
    attached = deliveries.attach_file(
        seller_id=authorised_seller(request).pk,
        order_id=order_id,
        delivery_id=delivery_id,
        upload=file,
        is_locked_until_accepted=is_locked_until_accepted,
    )
    return Status(201, presenters.delivery_file(attached))


@seller_router.post(
    "/orders/{order_id}/deliveries/{delivery_id}/deliver",
    response=OrderOut,
    summary="Deliver the draft (a file or link and the whole checklist are required; "
    "Idempotency-Key)",
)
def deliver(request: HttpRequest, order_id: int, delivery_id: int) -> Any:
    seller = authorised_seller(request)
    return common.once(
        request,
        order_id,
        "seller",
        scope=f"deliver-{delivery_id}",
        action=lambda order: deliveries.deliver(
            seller_id=seller.pk, order_id=order.pk, delivery_id=delivery_id
        ),
    )


@seller_router.get(
    "/orders/{order_id}/files/{file_id}",
    openapi_extra=files.OPENAPI,
    summary="Download a file of one of your deliveries (drafts too)",
)
def delivery_file(request: HttpRequest, order_id: int, file_id: int) -> HttpResponseBase:
    order = selectors.sellers_order_detail(authorised_seller(request), order_id)
    return files.serve(files.delivery_file(order, file_id, with_drafts=True))


@seller_router.put(
    "/orders/{order_id}/milestones",
    response=OrderOut,
    summary="Propose milestones (shares of the price adding up to 100 %) for the buyer to agree",
)
def propose_milestones(
    request: HttpRequest, order_id: int, payload: MilestonesIn
) -> dict[str, Any]:
    milestones.propose_milestones(
        seller_id=authorised_seller(request).pk,
        order_id=order_id,
        milestones=[milestones.MilestoneData(**item.model_dump()) for item in payload.milestones],
    )
    return common.order_out(request, order_id, "seller")


@seller_router.post(
    "/offers",
    response={201: MilestoneOfferOut},
    summary="Send a buyer a custom offer in milestones (the first paid at checkout, each "
    "later one funded in escrow before its work starts)",
)
def create_milestone_offer(request: HttpRequest, payload: MilestoneOfferIn) -> Status[Any]:
    quote = quotes.create_milestone_offer(
        seller=authorised_seller(request),
        product_id=payload.product_id,
        buyer_email=payload.buyer_email,
        title=payload.title,
        description=payload.description,
        revisions=payload.revisions,
        milestones=[quotes.OfferMilestone(**item.model_dump()) for item in payload.milestones],
    )
    plan = quote.package["milestones"]
    return Status(
        201,
        {
            "quote_id": quote.pk,
            "offer_id": quote.offer_id,
            "amount": quote.offer.amount,
            "total": quote.package["price"],
            "currency": quote.offer.currency,
            "milestones": plan,
        },
    )


@seller_router.post(
    "/orders/{order_id}/cancellation",
    response=OrderOut,
    summary="Ask the buyer to cancel (no answer within the window cancels)",
)
def request_cancellation(
    request: HttpRequest, order_id: int, payload: CancellationIn
) -> dict[str, Any]:
    return common.ask_cancellation(request, order_id, "seller", payload.reason)


@seller_router.post(
    "/orders/{order_id}/cancellation/answer",
    response=OrderOut,
    summary="Answer the buyer's request to cancel (Idempotency-Key)",
)
def answer_cancellation(request: HttpRequest, order_id: int, payload: CancellationAnswerIn) -> Any:
    return common.answer_cancellation(request, order_id, "seller", is_accepted=payload.is_accepted)


@seller_router.post(
    "/orders/{order_id}/feedback",
    response=OrderOut,
    summary="Rate working with the buyer (hidden from them until they rated you, or 14 days)",
)
def leave_feedback(request: HttpRequest, order_id: int, payload: FeedbackIn) -> dict[str, Any]:
    scores = feedback.Scores(**payload.model_dump())
    return common.give_feedback(request, order_id, "seller", scores)
