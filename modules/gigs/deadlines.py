"""The module's deadline handlers, found by core.deadlines in this folder: they fire only in
marketplaces where the module is on. Each is idempotent (it checks the order's state and,
for auto-accept, the delivery it was set for) and sends nothing itself: events go through
the outbox in the handler's transaction."""

from __future__ import annotations

from core.deadlines.registry import DueDeadline, deadline_handler
from modules.gigs.services import cancellation, deliveries, feedback, orders


@deadline_handler("gigs.requirements_reminder")
def requirements_reminder(deadline: DueDeadline) -> None:
    orders.remind_requirements(order_id=int(deadline.payload["order_id"]), due_at=deadline.at)


@deadline_handler("gigs.requirements_expired")
def requirements_expired(deadline: DueDeadline) -> None:
    orders.expire_requirements(order_id=int(deadline.payload["order_id"]))


@deadline_handler("gigs.auto_accept_reminder")
def auto_accept_reminder(deadline: DueDeadline) -> None:
    deliveries.remind_auto_accept(
        order_id=int(deadline.payload["order_id"]),
        delivery_number=int(deadline.payload["delivery_number"]),
        hours=int(deadline.payload["hours"]),
    )


@deadline_handler("gigs.auto_accept")
def auto_accept(deadline: DueDeadline) -> None:
    deliveries.auto_accept(
        order_id=int(deadline.payload["order_id"]),
        delivery_number=int(deadline.payload["delivery_number"]),
    )


@deadline_handler("gigs.cancellation_unanswered")
def cancellation_unanswered(deadline: DueDeadline) -> None:
    cancellation.cancellation_unanswered(
        order_id=int(deadline.payload["order_id"]),
        requested_at=str(deadline.payload["requested_at"]),
    )


@deadline_handler("gigs.very_late")
def very_late(deadline: DueDeadline) -> None:
    orders.tell_very_late(order_id=int(deadline.payload["order_id"]), at=deadline.at)


@deadline_handler(feedback.PUBLISH_TASK)
def feedback_published(deadline: DueDeadline) -> None:
    """The double-blind window closed: the feedback left so far becomes visible."""
    feedback.publish_feedback(order_id=int(deadline.payload["order_id"]))
