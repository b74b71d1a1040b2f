"""The follow-up task list of a booking: either side adds a task (text, optional due date),
either side ticks or unticks any task, the side that added one removes it. Tasks keep the
order they were added in. A new task tells the other side once (``consulting.shared``)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from core.accounts.models import User
from modules.consulting.errors import ConsultingErrorCode
from modules.consulting.models import Booking, FollowUp
from modules.consulting.services.session_access import (
    Role,
    check_open,
    check_participant,
    invalid,
    item_not_found,
    not_yours,
    side_of,
    tell_other_side,
)

MAX_TEXT_CHARS = 300
MAX_TASKS = 100


def follow_ups_of(booking: Booking) -> QuerySet[FollowUp]:
    return booking.follow_ups.order_by("position", "id")


def _locked(booking: Booking) -> Booking:
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("consultant__seller", "session_type__product")
        .get(pk=booking.pk)
    )


@transaction.atomic
def add_follow_up(
    *, booking: Booking, actor: User, role: Role, text: str, due_on: date | None = None
) -> FollowUp:
    check_participant(booking, actor, role)
    booking = _locked(booking)  # one position per task even when both sides add at once
    check_open(booking)
    text = " ".join(text.split())
    if not text:
        raise invalid(ConsultingErrorCode.INVALID_FOLLOW_UP, "text", "Say what is to be done.")
    if len(text) > MAX_TEXT_CHARS:
        raise invalid(
            ConsultingErrorCode.INVALID_FOLLOW_UP,
            "text",
            f"A task may be at most {MAX_TEXT_CHARS} characters ({len(text)} now).",
        )
    tasks = follow_ups_of(booking)
    if tasks.count() >= MAX_TASKS:
        raise invalid(
            ConsultingErrorCode.INVALID_FOLLOW_UP, "text", f"At most {MAX_TASKS} tasks per booking."
        )
    last = tasks.aggregate(last=Max("position"))["last"]
    task = FollowUp.objects.create(
        booking=booking,
        created_by=actor,
        text=text,
        due_on=due_on,
        position=0 if last is None else last + 1,
    )
    who = "Your consultant" if role == "consultant" else "Your client"
    due = f" (due {due_on:%d %b %Y})" if due_on else ""
    tell_other_side(
        booking,
        role=role,
        title=f"{who} added a follow-up on {booking.session_type.product.name}",
        body=f"{text}{due}",
        dedupe_key=f"consulting:follow-up:{task.pk}",
    )
    return task


def _task(booking: Booking, follow_up_id: int) -> FollowUp:
    task = follow_ups_of(booking).select_for_update().filter(pk=follow_up_id).first()
    if task is None:
        raise item_not_found("follow-up")
    return task


@transaction.atomic
def tick_follow_up(
    *, booking: Booking, actor: User, role: Role, follow_up_id: int, is_done: bool
) -> FollowUp:
    """Either side marks a task done (or not done again); ticking twice changes nothing."""
    check_participant(booking, actor, role)
    check_open(booking)
    task = _task(booking, follow_up_id)
    if is_done and task.done_at is None:
        task.done_at = timezone.now()
    elif not is_done:
        task.done_at = None
    task.save(update_fields=["done_at"])
    return task


@transaction.atomic
def remove_follow_up(*, booking: Booking, actor: User, role: Role, follow_up_id: int) -> None:
    check_participant(booking, actor, role)
    task = _task(booking, follow_up_id)
    if side_of(booking, task.created_by_id) != role:
        raise not_yours("Only whoever added this task can remove it.")
    task.delete()
