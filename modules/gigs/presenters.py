"""Gigs and gig orders as the API returns them (the schemas in ``schemas.py``)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from core.catalog.models import Product
from modules.gigs.models import (
    GigDelivery,
    GigDeliveryFile,
    GigMilestone,
    GigOrder,
    MilestoneStatus,
)
from modules.gigs.services.feedback import visible_feedback
from modules.gigs.services.orders import funded_numbers, is_funded_plan, lateness


def gig_dict(product: Product) -> dict[str, Any]:
    return {
        "product_id": product.pk,
        "name": product.name,
        "seller_id": product.seller_id,
        "packages": list(product.gig_packages.all()),
        "extras": list(product.gig_extras.all()),
        "questions": list(product.gig_questions.all()),
        "faq": list(product.gig_faqs.all()),
    }


def _extras(order_extras: list[dict[str, Any]], currency: str) -> list[dict[str, Any]]:
    return [{**extra, "currency": currency} for extra in order_extras]


def delivery_file(file: GigDeliveryFile) -> dict[str, Any]:
    return {
        "id": file.pk,
        "name": file.original_name,
        "content_type": file.content_type,
        "size": file.size,
        "is_locked_until_accepted": file.is_locked_until_accepted,
        "has_preview": bool(file.preview),
        "preview_note": file.preview_note,
    }


def _delivery(delivery: GigDelivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "kind": delivery.kind,
        "status": delivery.status,
        "number": delivery.number,
        "description": delivery.description,
        "notes": delivery.notes,
        "links": delivery.links,
        "preview_url": delivery.preview_url,
        "checklist_ticked": delivery.checklist_ticked,
        "checklist_confirmed": delivery.checklist_confirmed,
        "qc_decided_at": delivery.qc_decided_at,
        "files": [delivery_file(file) for file in delivery.files.all()],
        "submitted_at": delivery.submitted_at,
    }


def _milestone(milestone: GigMilestone, funded: set[int]) -> dict[str, Any]:
    return {
        "number": milestone.number,
        "title": milestone.title,
        "description": milestone.description,
        "percent": milestone.percent,
        "days": milestone.days,
        "amount": milestone.amount,
        "status": milestone.status,
        "is_delayed": milestone.status == MilestoneStatus.IN_PROGRESS
        and milestone.due_at is not None
        and timezone.now() > milestone.due_at,
        "is_funded": milestone.number in funded,
        "started_at": milestone.started_at,
        "due_at": milestone.due_at,
        "completed_at": milestone.completed_at,
    }


def milestone_funding(order: GigOrder) -> str:
    if is_funded_plan(order):
        return "per_milestone"
    return "shares" if order.milestones_agreed_at is not None else ""


def completion_percent(milestones: list[dict[str, Any]]) -> int:
    """The accepted milestones' share of the plan (by amount, else by share)."""
    total = sum(int(item["amount"]) for item in milestones)
    done = [item for item in milestones if item["status"] == MilestoneStatus.COMPLETED]
    if total > 0:
        return sum(int(item["amount"]) for item in done) * 100 // total
    return min(100, sum(int(item["percent"]) for item in done))


def order_row(order: GigOrder) -> dict[str, Any]:
    return {
        "id": order.pk,
        "title": order.title,
        "status": order.status,
        "lateness": lateness(order),
        "amount": order.amount,
        "currency": order.currency,
        "due_at": order.due_at,
        "created_at": order.created_at,
    }


def order_dict(order: GigOrder, *, with_drafts: bool) -> dict[str, Any]:
    """The whole order; a buyer sees delivered submissions only (``with_drafts`` False), the
    seller (``with_drafts`` True) their drafts too; each sees the feedback it may."""
    answers = order.answers or {}
    funding = milestone_funding(order)
    funded = (
        funded_numbers(order)
        if funding == "per_milestone"
        else ({m.number for m in order.milestones.all()} if funding == "shares" else set())
    )
    milestones = [_milestone(milestone, funded) for milestone in order.milestones.all()]
    deliveries = [
        delivery
        for delivery in order.deliveries.all()
        if with_drafts or delivery.status == "submitted"
    ]
    return {
        **order_row(order),
        "order_line_id": order.order_line_id,
        "product_id": order.product_id,
        "seller_id": order.seller_id,
        "package": {"description": "", **order.package, "currency": order.currency},
        "extras": _extras(order.extras, order.currency),
        "checklist": order.checklist,
        "requirements": [
            {**question, "answer": answers.get(str(question["id"]))} for question in order.questions
        ],
        "delivery_days": order.delivery_days,
        "revisions_allowed": order.revisions_allowed,
        "revisions_used": order.revisions_used,
        "auto_accept_days": order.policy["auto_accept_days"],
        "requirements_submitted_at": order.requirements_submitted_at,
        "delivered_at": order.delivered_at,
        "auto_accept_at": order.auto_accept_at,
        "completed_at": order.completed_at,
        "cancelled_at": order.cancelled_at,
        "cancel_reason": order.cancel_reason,
        "is_auto_accepted": order.is_auto_accepted,
        "cancellation_requested_by": order.cancellation_requested_by,
        "cancellation_requested_at": order.cancellation_requested_at,
        "cancellation_reason": order.cancellation_reason,
        "milestones_agreed_at": order.milestones_agreed_at,
        "milestone_funding": funding,
        "completion_percent": completion_percent(milestones),
        "milestones": milestones,
        "deliveries": [_delivery(delivery) for delivery in deliveries],
        "revisions": list(order.revisions.all()),
        "feedback": visible_feedback(order, viewer="seller" if with_drafts else "buyer"),
    }
