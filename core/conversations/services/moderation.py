"""Reports of messages and the operators' queue: dismiss a report, or remove the message
(its text and file are gone for everyone; the report stays as the record). Messages
automated moderation held are delivered or removed here too."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.accounts.models import Role, User
from core.automod.models import ContentKind
from core.automod.services.outcomes import operator_released, operator_removed
from core.conversations import selectors
from core.conversations.errors import ConversationError, ConversationErrorCode, not_found
from core.conversations.models import Message, MessageReport, Participant, ReportStatus
from core.conversations.services.live import announce_changed_message
from core.errors import ErrorKind


def report_message(
    *, message_id: int, user_id: int, reason: str = "", conversation_id: int | None = None
) -> MessageReport:
    """A participant reports someone else's message to the operators (once per message)."""
    found = Message.objects.filter(pk=message_id)
    if conversation_id is not None:
        found = found.filter(conversation_id=conversation_id)
    message = found.first()
    if (
        message is None
        or selectors.find_participant(conversation_id=message.conversation_id, user_id=user_id)
        is None
    ):
        raise not_found(ConversationErrorCode.MESSAGE_NOT_FOUND, "No such message.")
    if message.sender_id == user_id or message.sender_id is None:
        raise ConversationError(
            ConversationErrorCode.NOT_YOUR_MESSAGE,
            "Report a message someone else wrote.",
            kind=ErrorKind.CONFLICT,
        )
    try:
        with transaction.atomic():
            report = MessageReport.objects.create(
                message=message, reporter_id=user_id, reason=reason.strip()[:500]
            )
            _notify_operators(report)
    except IntegrityError:  # reported before: the existing report stands
        return MessageReport.objects.get(message=message, reporter_id=user_id)
    return report


def _notify_operators(report: MessageReport) -> None:
    from django.urls import reverse

    from core.notifications.services import notify

    operator_ids = list(
        User.objects.filter(role=Role.OPERATOR, is_active=True).values_list("pk", flat=True)
    )
    if operator_ids:
        notify(
            user_ids=operator_ids,
            type_key="chat.reported",
            title="A message was reported",
            body=report.reason[:140],
            url=reverse("operator:message_reports"),
            data={"report_id": report.pk, "message_id": report.message_id},
            dedupe_key=f"chat.reported:{report.message_id}",
        )


def _open_report(report_id: int) -> MessageReport:
    report = (
        MessageReport.objects.select_for_update(of=("self",))
        .select_related("message")
        .filter(pk=report_id)
    ).first()
    if report is None:
        raise not_found(ConversationErrorCode.REPORT_NOT_FOUND, "No such report.")
    if report.status != ReportStatus.OPEN:
        raise ConversationError(
            ConversationErrorCode.ALREADY_RESOLVED,
            "This report was already handled.",
            kind=ErrorKind.CONFLICT,
        )
    return report


def dismiss_report(*, report_id: int, operator_id: int) -> MessageReport:
    with transaction.atomic():
        report = _open_report(report_id)
        report.status = ReportStatus.DISMISSED
        report.resolved_at = timezone.now()
        report.resolved_by_id = operator_id
        report.save(update_fields=["status", "resolved_at", "resolved_by"])
    return report


def remove_reported_message(*, report_id: int, operator_id: int) -> MessageReport:
    """Remove the message for everyone and close every open report of it."""
    with transaction.atomic():
        report = _open_report(report_id)
        now = timezone.now()
        message = report.message
        if message.attachment:
            message.attachment.delete(save=False)
        message.removed_at = now
        message.text = ""
        message.save(update_fields=["removed_at", "text", "attachment"])
        MessageReport.objects.filter(message=message, status=ReportStatus.OPEN).update(
            status=ReportStatus.REMOVED, resolved_at=now, resolved_by_id=operator_id
        )
        report.refresh_from_db()
        operator_removed(kind=ContentKind.MESSAGE, object_id=message.pk, operator_id=operator_id)
        announce_changed_message(message)
    return report


def _held(message_id: int) -> Message:
    message = (
        Message.objects.select_for_update(of=("self",))
        .filter(pk=message_id, held_at__isnull=False, removed_at__isnull=True)
        .first()
    )
    if message is None:
        raise not_found(ConversationErrorCode.MESSAGE_NOT_FOUND, "No such held message.")
    return message


def release_held_message(*, message_id: int, operator_id: int) -> Message:
    """Automated moderation was wrong: the message reaches the conversation now."""
    from core.conversations.services.messages import deliver_message

    with transaction.atomic():
        message = _held(message_id)
        message.held_at = None
        message.save(update_fields=["held_at"])
        participant = (
            Participant.objects.select_related("conversation__seller", "user")
            .filter(conversation_id=message.conversation_id, user_id=message.sender_id or 0)
            .first()
        )
        operator_released(kind=ContentKind.MESSAGE, object_id=message.pk, operator_id=operator_id)
        if participant is not None:
            deliver_message(message, participant=participant)
    return message


def remove_held_message(*, message_id: int, operator_id: int) -> Message:
    """Automated moderation was right: the held message is removed; nobody but its sender
    ever saw it, and the sender now sees it removed."""
    with transaction.atomic():
        message = _held(message_id)
        message.removed_at = timezone.now()
        message.text = ""
        message.save(update_fields=["removed_at", "text"])
        operator_removed(kind=ContentKind.MESSAGE, object_id=message.pk, operator_id=operator_id)
    return message


def suspend_reported_sender(*, report_id: int, operator_id: int, reason: str) -> MessageReport:
    """Remove the message and suspend its sender's account (the accounts' own suspension:
    signed out, tokens revoked, told why), in one transaction."""
    from core.accounts.services.moderation import suspend_user

    with transaction.atomic():
        report = remove_reported_message(report_id=report_id, operator_id=operator_id)
        sender = report.message.sender
        if sender is None:  # Souk's own message: nobody to suspend
            raise ConversationError(
                ConversationErrorCode.NOT_YOUR_MESSAGE,
                "Souk wrote this message; there is no account to suspend.",
                kind=ErrorKind.CONFLICT,
            )
        suspend_user(actor=User.objects.get(pk=operator_id), user=sender, reason=reason)
    return report
