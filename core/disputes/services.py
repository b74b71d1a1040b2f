"""The only writers of disputes. Every step is idempotent, records one timeline event per
state change, notifies the parties and pushes the change live to the dispute's topic.

Money (see ``core.commerce.services.escrow.settle_disputed_line``):

- Opening freezes the line's seller share. An escrowed line stays in ``escrow:<line>`` and
  ``release_escrow`` refuses while the dispute is open (a release guard). A delivered,
  non-escrowed line's seller share (up to the seller's available balance) moves from
  ``seller_payable:<seller>`` into ``dispute_hold:<dispute>`` (``dispute_hold`` entry).
- The decision splits what was frozen: ``refund_to_buyer + release_to_seller == frozen``;
  ``platform_compensation`` is paid to the buyer out of the platform's fees, with
  ``refund + compensation`` at most what is left of the line. One balanced
  ``dispute_resolution`` entry, reference ``dispute:<id>``; the provider refund carries the
  same key, so a retry refunds once. A line not delivered yet (money still in the buyer's
  clearing account, nothing frozen) can only be refunded: through ``refund_order`` with the
  key ``dispute:<id>`` (one ``refund`` entry).
- An appeal decided in the appellant's favour is made good by the platform
  (``dispute_appeal`` entry): money already returned or released is not clawed back."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

import filetype
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.accounts.models import User
from core.commerce.models import LineStatus, Order, OrderLine, OrderStatus, Payment, SubOrder
from core.commerce.services.escrow import held_in_escrow, settle_disputed_line
from core.commerce.services.fulfilment import refunded_parts
from core.commerce.services.refunds import LineRefund, refund_order
from core.conversations import services as conversations
from core.deadlines.services import cancel_deadline, schedule_deadline
from core.disputes import selectors
from core.disputes.errors import DisputeError, DisputeErrorCode, not_found
from core.disputes.models import (
    OPEN_STATUSES,
    Dispute,
    DisputeEvent,
    DisputeEvidence,
    DisputeMessage,
    DisputeSettings,
    DisputeStatus,
    DisputeType,
    EvidenceKind,
    MessageKind,
    ResolutionType,
)
from core.errors import DomainError, ErrorKind
from core.money import Money
from core.notifications.services import notify
from core.payments import ledger
from core.payments.ledger import credit, debit
from core.payments.models import EntryKind
from core.payments.providers import get_provider
from core.realtime.topics import publish_to_topic

logger = logging.getLogger(__name__)

RESPOND_TASK = "disputes.respond_default"
APPEAL_TASK = "disputes.appeal_window_closed"
DISPUTABLE_ORDER_STATUSES = {
    OrderStatus.PAID,
    OrderStatus.FULFILLING,
    OrderStatus.FULFILLED,
    OrderStatus.COMPLETED,
    OrderStatus.PARTIALLY_REFUNDED,
}
MAX_TEXT = 5000
MAX_FILE_BYTES = 10 * 1024 * 1024
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
DOCUMENT_TYPES = {"application/pdf", "application/zip"}


def dispute_settings() -> DisputeSettings:
    found, _ = DisputeSettings.objects.get_or_create(pk=1)
    return found


SETTING_LIMITS = {"respond_days": (1, 60), "claim_window_days": (1, 365), "appeal_days": (1, 60)}


@transaction.atomic
def update_dispute_settings(*, operator: User, **values: int) -> DisputeSettings:
    """The marketplace's N (days to answer), M (claim window after completion) and appeal
    window. Disputes already open keep the deadlines they were opened with."""
    _require_operator(operator)
    found = DisputeSettings.objects.select_for_update().get_or_create(pk=1)[0]
    for name, value in values.items():
        low, high = SETTING_LIMITS[name]
        if not low <= int(value) <= high:
            raise DisputeError(
                DisputeErrorCode.INVALID_STATE,
                f"{name.replace('_', ' ').capitalize()}: {low} to {high}.",
                details={"field": name},
                kind=ErrorKind.INVALID,
            )
        setattr(found, name, int(value))
    found.save()
    return found


def respond_key(dispute_id: int) -> str:
    return f"disputes:{dispute_id}:respond"


def appeal_key(dispute_id: int) -> str:
    return f"disputes:{dispute_id}:appeal"


# --- side effects of every state change ----------------------------------------------------


def _event(
    dispute: Dispute,
    kind: str,
    *,
    actor: User | None = None,
    actor_label: str = "",
    from_status: str = "",
    data: dict[str, Any] | None = None,
    dedupe_key: str = "",
) -> DisputeEvent | None:
    if dedupe_key and DisputeEvent.objects.filter(dispute=dispute, dedupe_key=dedupe_key).exists():
        return None
    return DisputeEvent.objects.create(
        dispute=dispute,
        kind=kind,
        from_status=from_status,
        to_status=dispute.status,
        actor=actor,
        actor_label=actor_label[:80] or (f"user:{actor.pk}" if actor else "system"),
        data=data or {},
        dedupe_key=dedupe_key,
    )


def _parties(dispute: Dispute) -> list[int]:
    return sorted({dispute.complainant_id, *selectors.team_user_ids(dispute.seller_id)})


def _notify(
    dispute: Dispute, user_ids: list[int], type_key: str, title: str, body: str, dedupe: str
) -> None:
    """Notifies the users in this transaction (in-app now, other channels by preference),
    each with a link to their own page of the dispute."""
    wanted = set(user_ids)
    team = set(selectors.team_user_ids(dispute.seller_id))
    operators = set(selectors.operator_ids())
    groups = {
        f"/disputes/{dispute.pk}/": wanted & {dispute.complainant_id},
        f"/studio/disputes/{dispute.pk}/": (wanted & team) - {dispute.complainant_id},
        f"/operator/disputes/{dispute.pk}/": (wanted & operators) - team - {dispute.complainant_id},
    }
    for url, ids in groups.items():
        if ids:
            notify(
                user_ids=sorted(ids),
                type_key=type_key,
                title=title,
                body=body,
                url=url,
                data={"dispute_id": dispute.pk, "status": dispute.status},
                dedupe_key=f"dispute:{dispute.pk}:{dedupe}",
            )


def _push(dispute: Dispute, event: str, data: dict[str, Any] | None = None) -> None:
    publish_to_topic(
        "dispute",
        dispute.pk,
        event,
        {"id": dispute.pk, "status": dispute.status, **(data or {})},
    )


def _changed(
    dispute: Dispute,
    kind: str,
    *,
    from_status: str,
    actor: User | None,
    actor_label: str = "",
    type_key: str = "dispute.updated",
    title: str = "",
    body: str = "",
    live_event: str = "dispute.status.change",
    data: dict[str, Any] | None = None,
    notify_ids: list[int] | None = None,
) -> None:
    event = _event(
        dispute,
        kind,
        actor=actor,
        actor_label=actor_label,
        from_status=from_status,
        data=data,
        dedupe_key=kind if kind != "comment" and kind != "evidence" else "",
    )
    if event is None:
        return
    recipients = [
        uid for uid in (notify_ids or _parties(dispute)) if actor is None or uid != actor.pk
    ]
    _notify(
        dispute,
        recipients,
        type_key,
        title or f"Dispute #{dispute.pk}: {dispute.get_status_display()}",
        body,
        f"{kind}:{event.pk}",
    )
    _push(dispute, live_event, {"event": kind, **(data or {})})


def _conversation(dispute: Dispute, line: OrderLine | None, order: Order, text: str) -> None:
    """Bring the dispute into the buyer-seller conversation, with a system message."""
    if dispute.seller_id is None:
        return
    try:
        with transaction.atomic():
            if dispute.conversation_id is None:
                conversation = conversations.open_conversation(
                    buyer_id=order.buyer_id,
                    seller_id=dispute.seller_id,
                    order_id=order.pk,
                    order_line_id=line.pk if line else None,
                )
                dispute.conversation_id = conversation.pk
                dispute.save(update_fields=["conversation_id", "updated_at"])
            conversations.post_system_message(
                conversation_id=dispute.conversation_id,
                text=text,
                data={"dispute_id": dispute.pk, "status": dispute.status},
            )
    except DomainError as error:  # the chat is a convenience; the dispute stands without it
        logger.warning("dispute %s: no conversation (%s)", dispute.pk, error.message)


# --- opening --------------------------------------------------------------------------------


@transaction.atomic
def open_dispute(
    *, user: User, order_line_id: int, kind: str, reason: str, now: Any = None
) -> Dispute:
    """The buyer of the line opens a dispute on it; opening again while it is open returns
    the open one. Freezes the line's money (module docstring)."""
    now = now or timezone.now()
    if kind not in DisputeType.values or kind == DisputeType.CHARGEBACK:
        raise DisputeError(
            DisputeErrorCode.NOT_DISPUTABLE,
            "Choose what went wrong: delivery, quality, communication or other.",
            details={"field": "type"},
            kind=ErrorKind.INVALID,
        )
    line = OrderLine.objects.filter(pk=order_line_id).first()
    if line is None:
        raise not_found()
    order = Order.objects.select_for_update().get(pk=line.order_id)
    line = OrderLine.objects.select_for_update().get(pk=order_line_id)
    if order.buyer_id != user.pk:
        raise not_found()  # not theirs: as if it did not exist
    existing = Dispute.objects.filter(order_line_id=line.pk, status__in=OPEN_STATUSES).first()
    if existing is not None:
        if existing.complainant_id == user.pk and existing.kind == kind:
            return existing
        raise DisputeError(
            DisputeErrorCode.ALREADY_DISPUTED,
            "This item already has an open dispute.",
            details={"dispute_id": existing.pk},
        )
    if order.status not in DISPUTABLE_ORDER_STATUSES or line.status in (
        LineStatus.REVOKED,
        LineStatus.CANCELLED,
    ):
        raise DisputeError(
            DisputeErrorCode.NOT_DISPUTABLE,
            "Only a paid item that was not refunded can be disputed.",
        )
    if line.refunded_amount >= line.total:
        raise DisputeError(DisputeErrorCode.NOT_DISPUTABLE, "This item was refunded in full.")
    config = dispute_settings()
    completed = line.completed_at or (None if line.is_escrow else line.fulfilled_at)
    if completed is not None and now > completed + timedelta(days=config.claim_window_days):
        raise DisputeError(
            DisputeErrorCode.CLAIM_WINDOW_CLOSED,
            f"Disputes can be opened up to {config.claim_window_days} days after completion.",
            details={
                "closed_at": (completed + timedelta(days=config.claim_window_days)).isoformat()
            },
        )
    seller_id = SubOrder.objects.values_list("seller_id", flat=True).get(pk=line.sub_order_id)
    dispute = Dispute.objects.create(
        order_id=order.pk,
        order_line_id=line.pk,
        complainant=user,
        seller_id=seller_id,
        kind=kind,
        reason=reason.strip()[:MAX_TEXT],
        currency=order.currency,
        respond_by=now + timedelta(days=config.respond_days),
    )
    _freeze(dispute, order, line)
    if dispute.reason:
        DisputeMessage.objects.create(
            dispute=dispute, kind=MessageKind.COMMENT, author=user, text=dispute.reason
        )
    assert dispute.respond_by is not None
    schedule_deadline(
        key=respond_key(dispute.pk),
        at=dispute.respond_by,
        task=RESPOND_TASK,
        payload={"dispute_id": dispute.pk},
    )
    _changed(
        dispute,
        "opened",
        from_status="",
        actor=user,
        type_key="dispute.opened",
        title=f"Dispute opened on {line.title}",
        body=f"{dispute.get_kind_display()}: {dispute.reason[:200]}",
        data={"frozen": dispute.frozen_amount},
    )
    _conversation(
        dispute,
        line,
        order,
        f"A dispute was opened on {line.title} ({dispute.get_kind_display().lower()}). "
        f"The seller has until {dispute.respond_by:%Y-%m-%d} to answer.",
    )
    return dispute


def _freeze(dispute: Dispute, order: Order, line: OrderLine) -> None:
    held = held_in_escrow(line, order.currency) if line.is_escrow else 0
    if held > 0:
        dispute.frozen_account = ledger.escrow(line.pk)
        dispute.frozen_amount = held
    elif line.fulfilled_at is not None or line.status in (
        LineStatus.FULFILLED,
        LineStatus.COMPLETED,
    ):
        assert dispute.seller_id is not None
        seller_share = line.seller_net - refunded_parts(line)[2]
        available = ledger.seller_balances(dispute.seller_id)["available"].get(order.currency, 0)
        hold = max(min(seller_share, available), 0)
        dispute.frozen_account = ledger.dispute_hold(dispute.pk)
        dispute.frozen_amount = hold
        ledger.post_entry(
            kind=EntryKind.DISPUTE_HOLD,
            reference=f"dispute:{dispute.pk}",
            order_id=order.pk,
            memo=f"Dispute {dispute.pk} on line {line.pk}",
            postings=[
                debit(
                    ledger.seller_payable(dispute.seller_id),
                    Money(hold, order.currency),
                    dispute.seller_id,
                ),
                credit(dispute.frozen_account, Money(hold, order.currency), dispute.seller_id),
            ],
        )
    dispute.save(update_fields=["frozen_account", "frozen_amount", "updated_at"])


def line_is_frozen(order_line_id: int) -> str | None:
    """The escrow release guard: an open dispute on the line freezes its escrow."""
    if Dispute.objects.filter(order_line_id=order_line_id, status__in=OPEN_STATUSES).exists():
        return "This item is disputed: its escrow is frozen until the dispute is decided."
    return None


# --- talking ----------------------------------------------------------------------------------


def _locked(dispute_id: int) -> Dispute:
    dispute = Dispute.objects.select_for_update().filter(pk=dispute_id).first()
    if dispute is None:
        raise not_found()
    return dispute


def _check_party(user: User, dispute: Dispute) -> str:
    party = selectors.party_of(user, dispute)
    if party is None:
        raise not_found()
    return party


def _mark_answered(dispute: Dispute, party: str) -> None:
    if party == "respondent" and dispute.responded_at is None:
        dispute.responded_at = timezone.now()
        dispute.save(update_fields=["responded_at", "updated_at"])
        cancel_deadline(key=respond_key(dispute.pk))


@transaction.atomic
def add_comment(*, user: User, dispute_id: int, text: str) -> DisputeMessage:
    dispute = _locked(dispute_id)
    party = _check_party(user, dispute)
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise DisputeError(
            DisputeErrorCode.INVALID_EVIDENCE,
            f"Write 1-{MAX_TEXT} characters.",
            details={"field": "text"},
            kind=ErrorKind.INVALID,
        )
    if dispute.status == DisputeStatus.CLOSED:
        raise DisputeError(DisputeErrorCode.INVALID_STATE, "This dispute is closed.")
    message = DisputeMessage.objects.create(
        dispute=dispute, kind=MessageKind.COMMENT, author=user, text=text
    )
    _mark_answered(dispute, party)
    _changed(
        dispute,
        "comment",
        from_status=dispute.status,
        actor=user,
        body=text[:200],
        data={"message_id": message.pk, "party": party},
    )
    return message


def detect_kind(head: bytes) -> tuple[str, str] | None:
    """(evidence kind, content type) by the file's content, or None when not accepted."""
    guess = filetype.guess(head)
    if guess is None:
        return None
    if guess.mime in IMAGE_TYPES:
        return EvidenceKind.IMAGE, guess.mime
    if guess.mime in DOCUMENT_TYPES:
        return EvidenceKind.DOCUMENT, guess.mime
    return None


@transaction.atomic
def add_evidence(
    *, user: User, dispute_id: int, text: str = "", upload: UploadedFile[bytes] | None = None
) -> DisputeEvidence:
    dispute = _locked(dispute_id)
    party = _check_party(user, dispute)
    if dispute.status == DisputeStatus.CLOSED:
        raise DisputeError(DisputeErrorCode.INVALID_STATE, "This dispute is closed.")
    text = (text or "").strip()[:MAX_TEXT]
    evidence = DisputeEvidence(dispute=dispute, author=user, text=text)
    if upload is not None:
        if upload.size is None or upload.size > MAX_FILE_BYTES:
            raise DisputeError(
                DisputeErrorCode.EVIDENCE_TOO_LARGE,
                f"A file may be at most {MAX_FILE_BYTES // (1024 * 1024)} MB.",
                details={"field": "file", "max_bytes": MAX_FILE_BYTES},
                kind=ErrorKind.TOO_LARGE,
            )
        upload.seek(0)
        head = upload.read(261)
        upload.seek(0)
        detected = detect_kind(head)
        if detected is None:
            raise DisputeError(
                DisputeErrorCode.INVALID_EVIDENCE,
                "Attach an image (JPEG, PNG, WebP, GIF) or a PDF/ZIP document.",
                details={"field": "file"},
                kind=ErrorKind.UNSUPPORTED_MEDIA_TYPE,
            )
        evidence.kind, evidence.content_type = detected
        evidence.size = int(upload.size)
        evidence.file_name = (upload.name or "evidence")[-200:]
        evidence.file.save(uuid.uuid4().hex, upload, save=False)
    elif text:
        evidence.kind = EvidenceKind.TEXT
    else:
        raise DisputeError(
            DisputeErrorCode.INVALID_EVIDENCE,
            "Attach a file or write a statement.",
            details={"field": "text"},
            kind=ErrorKind.INVALID,
        )
    evidence.save()
    _mark_answered(dispute, party)
    _changed(
        dispute,
        "evidence",
        from_status=dispute.status,
        actor=user,
        body=f"New evidence ({evidence.get_kind_display().lower()})",
        live_event="dispute.evidence.new",
        data={"evidence_id": evidence.pk, "kind": evidence.kind, "party": party},
    )
    return evidence


# --- deciding -----------------------------------------------------------------------------------


def _require_operator(user: User) -> None:
    if not selectors.is_operator(user):
        raise DisputeError(
            DisputeErrorCode.FORBIDDEN,
            "Only the marketplace's operators may do this.",
            kind=ErrorKind.FORBIDDEN,
        )


@transaction.atomic
def take_for_review(*, operator: User, dispute_id: int) -> Dispute:
    _require_operator(operator)
    dispute = _locked(dispute_id)
    if dispute.status == DisputeStatus.IN_REVIEW:
        return dispute
    if dispute.status != DisputeStatus.PENDING:
        raise DisputeError(DisputeErrorCode.INVALID_STATE, "Only a waiting dispute can be taken.")
    dispute.status = DisputeStatus.IN_REVIEW
    dispute.save(update_fields=["status", "updated_at"])
    _join_conversation(dispute, operator)
    _changed(dispute, "in_review", from_status=DisputeStatus.PENDING, actor=operator)
    return dispute


def refundable_left(dispute: Dispute) -> int:
    if dispute.order_line_id is None:
        return 0
    line = OrderLine.objects.get(pk=dispute.order_line_id)
    return int(line.total - line.refunded_amount)


def full_refund_split(dispute: Dispute) -> tuple[int, int, int]:
    """(refund, release, compensation) that gives the buyer everything left of the line."""
    left = refundable_left(dispute)
    if not dispute.frozen_account:
        return left, 0, 0
    refund = min(dispute.frozen_amount, left)
    return refund, dispute.frozen_amount - refund, max(left - refund, 0)


@transaction.atomic
def resolve(
    *,
    operator: User | None,
    dispute_id: int,
    resolution_type: str,
    refund_to_buyer: int,
    release_to_seller: int,
    platform_compensation: int,
    note: str = "",
    is_default: bool = False,
) -> Dispute:
    """Decide the dispute (an operator; None for a default outcome). Idempotent: deciding a
    decided dispute with the same split returns it unchanged."""
    if operator is not None:
        _require_operator(operator)
    dispute = _locked(dispute_id)
    split = (refund_to_buyer, release_to_seller, platform_compensation)
    if dispute.status in (DisputeStatus.RESOLVED, DisputeStatus.APPEALED, DisputeStatus.CLOSED):
        same_split = (
            dispute.refund_to_buyer,
            dispute.release_to_seller,
            dispute.platform_compensation,
        ) == split
        kept_for_revision = resolution_type == ResolutionType.REVISION and not any(split)
        if dispute.resolution_type == resolution_type and (same_split or kept_for_revision):
            return dispute
        raise DisputeError(DisputeErrorCode.INVALID_STATE, "This dispute was decided already.")
    if resolution_type not in ResolutionType.values:
        raise _split_error("Choose a resolution: refund, revision, compensation or none.")
    if dispute.kind == DisputeType.CHARGEBACK or dispute.order_line_id is None:
        raise DisputeError(
            DisputeErrorCode.INVALID_STATE,
            "A chargeback is decided by the card network; answer it with the evidence.",
        )
    if min(split) < 0:
        raise _split_error("Amounts cannot be negative.")
    _recount_frozen(dispute)
    left = refundable_left(dispute)
    from_status = dispute.status
    reason = f"Dispute #{dispute.pk}" + (f": {note.strip()}" if note.strip() else "")
    if resolution_type == ResolutionType.REVISION and not any(split):
        # The seller delivers again, no money moves now: an escrowed line's money stays in
        # escrow (no longer frozen) for its module to release on acceptance; a seller's
        # payable that was held goes back to them. (A revision with amounts settles them
        # like any decision, and the module closes the order as settled.)
        is_hold = dispute.frozen_account.startswith("dispute_hold:")
        refund_to_buyer, platform_compensation = 0, 0
        release_to_seller = dispute.frozen_amount if is_hold else 0
        split = (refund_to_buyer, release_to_seller, platform_compensation)
        if is_hold and dispute.order_line_id is not None:
            settle_disputed_line(
                order_line_id=dispute.order_line_id,
                pot_account=dispute.frozen_account,
                pot_amount=dispute.frozen_amount,
                refund_to_buyer=0,
                release_to_seller=dispute.frozen_amount,
                platform_compensation=0,
                reference=f"dispute:{dispute.pk}",
                reason=reason,
                actor_label=f"dispute:{dispute.pk}",
            )
    elif dispute.frozen_account:
        if refund_to_buyer + release_to_seller != dispute.frozen_amount:
            raise _split_error(
                "Refund and release must add up to the "
                f"{Money(dispute.frozen_amount, dispute.currency)} held.",
                held=dispute.frozen_amount,
                refundable=left,
            )
        if refund_to_buyer + platform_compensation > left:
            raise _split_error(
                f"At most {Money(left, dispute.currency)} can go back to the buyer.",
                held=dispute.frozen_amount,
                refundable=left,
            )
        settle_disputed_line(
            order_line_id=dispute.order_line_id,
            pot_account=dispute.frozen_account,
            pot_amount=dispute.frozen_amount,
            refund_to_buyer=refund_to_buyer,
            release_to_seller=release_to_seller,
            platform_compensation=platform_compensation,
            reference=f"dispute:{dispute.pk}",
            reason=reason,
            actor_label=f"dispute:{dispute.pk}",
        )
    else:
        # Not delivered yet: nothing was frozen, the money is still the buyer's.
        if release_to_seller or platform_compensation or refund_to_buyer > left:
            raise _split_error(
                "Nothing was delivered yet: only a refund of up to "
                f"{Money(left, dispute.currency)}.",
                held=0,
                refundable=left,
            )
        if refund_to_buyer:
            refund_order(
                order_id=dispute.order_id,
                lines=[LineRefund(dispute.order_line_id, refund_to_buyer)],
                reason=reason,
                idempotency_key=f"dispute:{dispute.pk}",
                actor=operator,
                actor_label=f"dispute:{dispute.pk}",
            )
    now = timezone.now()
    dispute.status = DisputeStatus.RESOLVED
    dispute.resolution_type = resolution_type
    (dispute.refund_to_buyer, dispute.release_to_seller, dispute.platform_compensation) = split
    dispute.resolution_note = note.strip()[:MAX_TEXT]
    dispute.decided_by = operator
    dispute.is_default_outcome = is_default
    dispute.resolved_at = now
    dispute.appeal_by = now + timedelta(days=dispute_settings().appeal_days)
    dispute.save()
    cancel_deadline(key=respond_key(dispute.pk))
    schedule_deadline(
        key=appeal_key(dispute.pk),
        at=dispute.appeal_by,
        task=APPEAL_TASK,
        payload={"dispute_id": dispute.pk},
    )
    summary = _summary(dispute)
    DisputeMessage.objects.create(
        dispute=dispute,
        kind=MessageKind.DECISION,
        author=operator,
        text=summary + (f"\n{dispute.resolution_note}" if dispute.resolution_note else ""),
    )
    if resolution_type == ResolutionType.REVISION:
        _revision_hook(dispute)
    data = {
        "resolution_type": resolution_type,
        "refund_to_buyer": refund_to_buyer,
        "release_to_seller": release_to_seller,
        "platform_compensation": platform_compensation,
        "is_default": is_default,
    }
    _changed(
        dispute,
        "resolved",
        from_status=from_status,
        actor=operator,
        actor_label="" if operator else "system:default-outcome",
        type_key="dispute.resolved",
        title=f"Dispute #{dispute.pk} decided",
        body=summary,
        live_event="dispute.resolution.made",
        data=data,
    )
    if operator is not None:
        _join_conversation(dispute, operator)
    if dispute.conversation_id:
        order = Order.objects.get(pk=dispute.order_id)
        _conversation(dispute, None, order, f"The dispute was decided: {summary}")
    return dispute


def _join_conversation(dispute: Dispute, operator: User) -> None:
    """The operator handling the dispute joins the buyer-seller conversation."""
    if dispute.conversation_id is None:
        return
    try:
        with transaction.atomic():
            conversations.add_participant(
                conversation_id=dispute.conversation_id, user_id=operator.pk, role="operator"
            )
    except DomainError as error:
        logger.warning("dispute %s: operator not added to the chat (%s)", dispute.pk, error.message)


def _recount_frozen(dispute: Dispute) -> None:
    """What the line holds now: a refund made meanwhile (an operator's refund from the
    order) took part of the escrow, so the split is checked against what is left."""
    if not dispute.frozen_account:
        return
    held = max(-ledger.balance(dispute.frozen_account, dispute.currency).amount, 0)
    if held < dispute.frozen_amount:
        dispute.frozen_amount = held
        dispute.save(update_fields=["frozen_amount", "updated_at"])


def _summary(dispute: Dispute) -> str:
    parts = [f"{ResolutionType(dispute.resolution_type).label}"]
    if dispute.refund_to_buyer:
        parts.append(f"{Money(dispute.refund_to_buyer, dispute.currency)} back to the buyer")
    if dispute.release_to_seller:
        parts.append(f"{Money(dispute.release_to_seller, dispute.currency)} to the seller")
    if dispute.platform_compensation:
        parts.append(
            f"{Money(dispute.platform_compensation, dispute.currency)} compensation by the platform"
        )
    if dispute.is_default_outcome:
        parts.append("the seller did not answer in time")
    return "; ".join(parts) + "."


def _split_error(message: str, *, held: int = 0, refundable: int = 0) -> DisputeError:
    return DisputeError(
        DisputeErrorCode.INVALID_SPLIT,
        message,
        details={"held": held, "refundable": refundable},
        kind=ErrorKind.INVALID,
    )


def _revision_hook(dispute: Dispute) -> None:
    """The line's module hears of a revision (gigs reopen delivery) through its manifest's
    ``dispute_resolved`` hook, in this transaction."""
    from django.utils.module_loading import import_string

    from core.registry import get_registry
    from core.registry.enablement import enabled_module_keys

    assert dispute.order_line_id is not None
    line = OrderLine.objects.get(pk=dispute.order_line_id)
    try:
        manifest = get_registry().for_product_type(line.product_type, enabled_module_keys())
    except LookupError:
        return
    if manifest.dispute_resolved:
        import_string(manifest.dispute_resolved)(dispute)


# --- appeal ---------------------------------------------------------------------------------


@transaction.atomic
def appeal(*, user: User, dispute_id: int, text: str, now: Any = None) -> Dispute:
    """One appeal, by either party, before ``appeal_by``."""
    now = now or timezone.now()
    dispute = _locked(dispute_id)
    party = _check_party(user, dispute)
    if party == "operator":
        raise (
            not_found()
            if not selectors.is_operator(user)
            else DisputeError(DisputeErrorCode.APPEAL_NOT_ALLOWED, "Only the parties may appeal.")
        )
    if dispute.status == DisputeStatus.APPEALED and dispute.appealed_by_id == user.pk:
        return dispute
    if dispute.appealed_at is not None:
        raise DisputeError(DisputeErrorCode.APPEAL_NOT_ALLOWED, "This dispute was appealed once.")
    if dispute.status != DisputeStatus.RESOLVED or dispute.appeal_by is None:
        raise DisputeError(DisputeErrorCode.APPEAL_NOT_ALLOWED, "Only a decision can be appealed.")
    if now > dispute.appeal_by:
        raise DisputeError(
            DisputeErrorCode.APPEAL_NOT_ALLOWED,
            "The appeal window has closed: the decision is final.",
        )
    text = text.strip()
    if not text:
        raise DisputeError(
            DisputeErrorCode.APPEAL_NOT_ALLOWED,
            "Say why the decision is wrong.",
            details={"field": "text"},
            kind=ErrorKind.INVALID,
        )
    dispute.status = DisputeStatus.APPEALED
    dispute.appealed_by = user
    dispute.appealed_at = now
    dispute.save(update_fields=["status", "appealed_by", "appealed_at", "updated_at"])
    cancel_deadline(key=appeal_key(dispute.pk))
    DisputeMessage.objects.create(
        dispute=dispute, kind=MessageKind.APPEAL, author=user, text=text[:MAX_TEXT]
    )
    _changed(
        dispute,
        "appealed",
        from_status=DisputeStatus.RESOLVED,
        actor=user,
        type_key="dispute.appealed",
        title=f"Dispute #{dispute.pk} appealed",
        body=text[:200],
        data={"party": party},
        notify_ids=[*_parties(dispute), *selectors.operator_ids()],
    )
    return dispute


@transaction.atomic
def decide_appeal(
    *, operator: User, dispute_id: int, upheld: bool, compensation: int = 0, note: str = ""
) -> Dispute:
    """A different operator than the first decision's decides the appeal; the dispute is then
    closed. Overturned in the appellant's favour, ``compensation`` is paid by the platform:
    to the buyer through a provider refund, to the seller into their payable."""
    _require_operator(operator)
    dispute = _locked(dispute_id)
    if dispute.status == DisputeStatus.CLOSED and dispute.appeal_decided_by_id == operator.pk:
        return dispute
    if dispute.status != DisputeStatus.APPEALED:
        raise DisputeError(DisputeErrorCode.INVALID_STATE, "This dispute has no open appeal.")
    if dispute.decided_by_id is not None and dispute.decided_by_id == operator.pk:
        raise DisputeError(
            DisputeErrorCode.SAME_OPERATOR,
            "The appeal must be decided by a different operator than the first decision.",
            kind=ErrorKind.FORBIDDEN,
        )
    if compensation < 0 or (upheld and compensation):
        raise _split_error("Compensation is a positive amount, and only when the appeal succeeds.")
    if compensation:
        reference = f"dispute:{dispute.pk}:appeal"
        if dispute.appealed_by_id == dispute.complainant_id:
            left = refundable_left(dispute)
            if compensation > left:
                raise _split_error(
                    f"At most {Money(left, dispute.currency)} can go back to the buyer.",
                    refundable=left,
                )
            assert dispute.order_line_id is not None
            settle_disputed_line(
                order_line_id=dispute.order_line_id,
                pot_account=dispute.frozen_account or ledger.dispute_hold(dispute.pk),
                pot_amount=0,
                refund_to_buyer=0,
                release_to_seller=0,
                platform_compensation=compensation,
                reference=reference,
                reason=f"Dispute #{dispute.pk}: appeal",
                actor_label=f"dispute:{dispute.pk}",
                kind=EntryKind.DISPUTE_APPEAL,
            )
        else:
            assert dispute.seller_id is not None
            ledger.post_entry(
                kind=EntryKind.DISPUTE_APPEAL,
                reference=reference,
                order_id=dispute.order_id,
                postings=[
                    debit(ledger.PLATFORM_FEES, Money(compensation, dispute.currency)),
                    credit(
                        ledger.seller_payable(dispute.seller_id),
                        Money(compensation, dispute.currency),
                        dispute.seller_id,
                    ),
                ],
            )
    dispute.status = DisputeStatus.CLOSED
    dispute.appeal_decided_by = operator
    dispute.appeal_upheld = upheld
    dispute.appeal_compensation = compensation
    dispute.closed_at = timezone.now()
    dispute.save()
    text = "Appeal rejected: the decision stands." if upheld else "Appeal upheld."
    if compensation:
        text += f" The platform pays {Money(compensation, dispute.currency)}."
    DisputeMessage.objects.create(
        dispute=dispute,
        kind=MessageKind.DECISION,
        author=operator,
        text=text + (f"\n{note.strip()}" if note.strip() else ""),
    )
    _changed(
        dispute,
        "appeal_decided",
        from_status=DisputeStatus.APPEALED,
        actor=operator,
        type_key="dispute.resolved",
        title=f"Appeal on dispute #{dispute.pk} decided",
        body=text,
        live_event="dispute.resolution.made",
        data={"upheld": upheld, "compensation": compensation},
    )
    return dispute


# --- default outcomes (deadline handlers call these) ------------------------------------------


def default_for_silence(dispute_id: int) -> None:
    """The respondent did not answer in time: the complainant wins, a full refund."""
    dispute = Dispute.objects.filter(pk=dispute_id).first()
    if dispute is None or dispute.status != DisputeStatus.PENDING or dispute.responded_at:
        return
    refund, release, compensation = full_refund_split(dispute)
    resolve(
        operator=None,
        dispute_id=dispute_id,
        resolution_type=ResolutionType.REFUND,
        refund_to_buyer=refund,
        release_to_seller=release,
        platform_compensation=compensation,
        note="The seller did not answer in time.",
        is_default=True,
    )


def close_after_appeal_window(dispute_id: int) -> None:
    """No appeal before ``appeal_by``: the decision is final."""
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().filter(pk=dispute_id).first()
        if dispute is None or dispute.status != DisputeStatus.RESOLVED:
            return
        dispute.status = DisputeStatus.CLOSED
        dispute.closed_at = timezone.now()
        dispute.save(update_fields=["status", "closed_at", "updated_at"])
        _changed(
            dispute,
            "final",
            from_status=DisputeStatus.RESOLVED,
            actor=None,
            actor_label="system:appeal-window",
            body="The appeal window closed: the decision is final.",
        )


# --- chargebacks ---------------------------------------------------------------------------------


def record_chargeback(
    *, order_id: int, event: str, provider_event_id: str, data: dict[str, Any]
) -> Dispute | None:
    """A provider chargeback on the order: a dispute of kind ``chargeback`` (one per order's
    payment) and a timeline event per provider event (once each)."""
    with transaction.atomic():
        order = Order.objects.filter(pk=order_id).first()
        if order is None:
            return None
        reference = f"chargeback:order:{order.pk}"
        dispute = (
            Dispute.objects.select_for_update().filter(provider_dispute_reference=reference).first()
        )
        created = False
        if dispute is None:
            try:
                with transaction.atomic():
                    dispute = Dispute.objects.create(
                        order_id=order.pk,
                        complainant_id=order.buyer_id,
                        seller_id=_only_seller(order),
                        kind=DisputeType.CHARGEBACK,
                        status=DisputeStatus.IN_REVIEW,
                        currency=order.currency,
                        provider_dispute_reference=reference,
                        reason="The buyer's bank disputed the payment.",
                    )
                created = True
            except IntegrityError:
                dispute = Dispute.objects.select_for_update().get(
                    provider_dispute_reference=reference
                )
        from_status = dispute.status
        provider_dispute_id = str(data.get("dispute_reference") or "")[:120]
        if provider_dispute_id and dispute.provider_dispute_id != provider_dispute_id:
            dispute.provider_dispute_id = provider_dispute_id
            dispute.evidence_submitted_at = None  # a new chargeback is answered anew
            dispute.save(update_fields=["provider_dispute_id", "evidence_submitted_at"])
        if event == "chargeback_closed":
            is_won = bool(data.get("is_won"))
            dispute.status = DisputeStatus.CLOSED
            dispute.closed_at = timezone.now()
            dispute.resolution_type = ResolutionType.NONE if is_won else ResolutionType.REFUND
            dispute.resolved_at = dispute.resolved_at or dispute.closed_at
            dispute.save()
        elif not created and dispute.status == DisputeStatus.CLOSED:
            dispute.status = DisputeStatus.IN_REVIEW  # a new chargeback on the same payment
            dispute.save(update_fields=["status", "updated_at"])
        recorded = _event(
            dispute,
            event,
            actor_label="provider",
            from_status="" if created else from_status,
            data=data,
            dedupe_key=f"provider:{provider_event_id}",
        )
        if recorded is not None:
            _notify(
                dispute,
                [*selectors.operator_ids(), *selectors.team_user_ids(dispute.seller_id)],
                "dispute.opened" if event == "chargeback_opened" else "dispute.updated",
                f"Chargeback on order {order.pk}",
                "The buyer's bank disputed the payment."
                if event == "chargeback_opened"
                else ("Chargeback won." if data.get("is_won") else "Chargeback lost."),
                f"provider:{provider_event_id}",
            )
            _push(dispute, "dispute.status.change", {"event": event})
        # The order's open disputes show the chargeback in their timelines too.
        for other in Dispute.objects.filter(order_id=order.pk, status__in=OPEN_STATUSES).exclude(
            pk=dispute.pk
        ):
            if _event(
                other,
                event,
                actor_label="provider",
                from_status=other.status,
                data={**data, "chargeback_dispute_id": dispute.pk},
                dedupe_key=f"provider:{provider_event_id}",
            ):
                _push(other, "dispute.status.change", {"event": event})
            if event == "chargeback_closed" and not data.get("is_won"):
                _closed_by_chargeback(other)
        return dispute


def _closed_by_chargeback(dispute: Dispute) -> None:
    """A lost chargeback refunded the buyer everything left of the order, the seller's share
    taken from what they are owed (``payment_events.on_dispute_closed``). A line dispute that
    held that share in ``dispute_hold`` gives it back to the seller's payable in the same
    step, so the seller pays for the line once, and the dispute has nothing left to decide.
    (Escrowed lines need no entry: the refund took the seller's share from escrow.)"""
    if dispute.frozen_account.startswith("dispute_hold:"):
        held = -ledger.balance(dispute.frozen_account, dispute.currency).amount
        if held > 0:
            assert dispute.seller_id is not None
            ledger.post_entry(
                kind=EntryKind.DISPUTE_RESOLUTION,
                reference=f"dispute:{dispute.pk}:chargeback",
                order_id=dispute.order_id,
                memo=f"Dispute {dispute.pk}: closed by the lost chargeback",
                postings=[
                    debit(dispute.frozen_account, Money(held, dispute.currency), dispute.seller_id),
                    credit(
                        ledger.seller_payable(dispute.seller_id),
                        Money(held, dispute.currency),
                        dispute.seller_id,
                    ),
                ],
            )
    from_status = dispute.status
    now = timezone.now()
    dispute.status = DisputeStatus.CLOSED
    dispute.resolution_type = ResolutionType.REFUND
    dispute.resolved_at = dispute.resolved_at or now
    dispute.closed_at = now
    dispute.save()
    cancel_deadline(key=respond_key(dispute.pk))
    cancel_deadline(key=appeal_key(dispute.pk))
    _changed(
        dispute,
        "closed",
        from_status=from_status,
        actor=None,
        actor_label="provider",
        type_key="dispute.resolved",
        title=f"Dispute #{dispute.pk} closed",
        body="The buyer's bank refunded the payment (chargeback lost): nothing is left to decide.",
        live_event="dispute.resolution.made",
        data={"closed_by": "chargeback"},
    )


def _only_seller(order: Order) -> int | None:
    sellers = list(SubOrder.objects.filter(order=order).values_list("seller_id", flat=True))
    return sellers[0] if len(sellers) == 1 else None


def stripe_evidence(dispute: Dispute) -> dict[str, str]:
    """The dispute's collected evidence on Stripe's dispute evidence fields (what an operator
    submits to answer a chargeback): the order's lines as the product description, the
    parties' messages as customer communication, text statements and documents as service
    documentation, the decision and anything else as uncategorized text."""
    order = Order.objects.filter(pk=dispute.order_id).first()
    lines = list(OrderLine.objects.filter(order_id=dispute.order_id).order_by("id"))
    description = "; ".join(
        f"{line.title} x{line.quantity} ({Money(line.total, dispute.currency)})" for line in lines
    )
    related = Dispute.objects.filter(order_id=dispute.order_id).order_by("id")
    messages = DisputeMessage.objects.filter(dispute__in=related).order_by("created_at", "id")
    evidence = DisputeEvidence.objects.filter(dispute__in=related).order_by("created_at", "id")
    communication = "\n".join(
        f"[{m.created_at:%Y-%m-%d %H:%M}] {_who(m.author_id, dispute)}: {m.text}"
        for m in messages
        if m.kind == MessageKind.COMMENT
    )
    service = "\n".join(
        (f"{_who(e.author_id, dispute)}: {e.text}" if e.text else "")
        + (f" [file {e.file_name}, {e.content_type}]" if e.file else "")
        for e in evidence
    ).strip()
    decisions = "\n".join(m.text for m in messages if m.kind != MessageKind.COMMENT)
    fields = {
        "product_description": description,
        "customer_communication": communication,
        "service_documentation": service,
        "uncategorized_text": decisions,
        "refund_policy": (
            "Buyers may open a dispute up to "
            f"{dispute_settings().claim_window_days} days after completion; an operator "
            "decides it and any refund goes back to the original payment."
        ),
        "service_date": (
            f"{order.paid_at:%Y-%m-%d}"
            if order is not None and getattr(order, "paid_at", None)
            else ""
        ),
    }
    # Stripe limits each text field to 20,000 characters.
    return {key: value[:20_000] for key, value in fields.items() if value}


def submit_chargeback_evidence(*, operator: User, dispute_id: int) -> Dispute:
    """Answer the chargeback at the provider with the collected evidence (``stripe_evidence``).
    Submitted evidence is final there, so it goes once: the provider call carries an
    idempotency key of the dispute's provider id, and a second submission is refused."""
    _require_operator(operator)
    with transaction.atomic():
        dispute = _locked(dispute_id)
        if dispute.kind != DisputeType.CHARGEBACK or not dispute.provider_dispute_id:
            raise DisputeError(
                DisputeErrorCode.INVALID_STATE,
                "Only a card chargeback the provider told us about can be answered.",
            )
        if dispute.status == DisputeStatus.CLOSED:
            raise DisputeError(DisputeErrorCode.INVALID_STATE, "This chargeback is closed.")
        if dispute.evidence_submitted_at is not None:
            raise DisputeError(
                DisputeErrorCode.INVALID_STATE,
                "The evidence went to the card network on "
                f"{dispute.evidence_submitted_at:%Y-%m-%d}.",
            )
        payment = (
            Payment.objects.filter(order_id=dispute.order_id).exclude(reference="").order_by("-id")
        ).first()
        if payment is None:
            raise DisputeError(DisputeErrorCode.INVALID_STATE, "The order has no card payment.")
        evidence = stripe_evidence(dispute)
    # Outside the lock: a slow provider must not hold the dispute's row.
    status = get_provider(payment.provider).submit_dispute_evidence(
        dispute_reference=dispute.provider_dispute_id,
        evidence=evidence,
        idempotency_key=f"dispute-evidence:{dispute.provider_dispute_id}",
    )
    with transaction.atomic():
        dispute = _locked(dispute_id)
        if dispute.evidence_submitted_at is None:
            dispute.evidence_submitted_at = timezone.now()
            dispute.save(update_fields=["evidence_submitted_at", "updated_at"])
            _changed(
                dispute,
                "evidence_submitted",
                from_status=dispute.status,
                actor=operator,
                title=f"Chargeback on order {dispute.order_id} answered",
                body=f"The evidence went to the card network ({status.replace('_', ' ')}).",
                data={"provider_status": status, "fields": sorted(evidence)},
                notify_ids=selectors.team_user_ids(dispute.seller_id),
            )
    return dispute


def _who(user_id: int | None, dispute: Dispute) -> str:
    if user_id == dispute.complainant_id:
        return "Buyer"
    if user_id is None:
        return "Souk"
    return "Seller" if user_id in selectors.team_user_ids(dispute.seller_id) else "Operator"
