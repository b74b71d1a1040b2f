"""The disputes API (``/api/v1/disputes``, signed-in users). Parties and operators see a
dispute; anyone else gets 404. Operator-only operations check the operator role (and its
second factor) inside; deciding moves money and takes an ``Idempotency-Key``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponseBase, HttpResponseRedirect
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from core.accounts.models import TokenScope, User
from core.accounts.principal import principal_of, require_operator, require_scope
from core.disputes import presenters, selectors, services
from core.disputes.models import Dispute
from core.disputes.schemas import (
    AppealDecisionIn,
    AppealIn,
    DisputeOut,
    DisputeSummaryOut,
    EvidenceOut,
    MessageIn,
    MessageOut,
    OpenIn,
    ResolveIn,
    StripeEvidenceOut,
)
from core.errors import DomainError
from core.idempotency.store import run_idempotent
from core.storage import private_file_url

disputes_router = Router(tags=["disputes"])


class ListQuery(Schema):
    status: str | None = None
    role: str | None = None  # "complainant", "seller" or "operator"


def _user(request: HttpRequest, *, write: bool = False) -> Any:
    principal = principal_of(request)
    require_scope(principal, TokenScope.WRITE if write else TokenScope.READ)
    return principal.user


@disputes_router.post("", response={201: DisputeOut}, summary="Open a dispute")
def open_dispute(request: HttpRequest, payload: OpenIn) -> Any:
    user = _user(request, write=True)
    dispute = services.open_dispute(
        user=user, order_line_id=payload.order_line_id, kind=payload.type, reason=payload.reason
    )
    return Status(201, presenters.dispute_out(dispute, user))


@disputes_router.get("", response=list[DisputeSummaryOut], summary="Disputes I am part of")
def list_disputes(request: HttpRequest, params: Query[ListQuery]) -> list[dict[str, Any]]:
    user = _user(request)
    as_operator = params.role == "operator"
    if as_operator:
        require_operator(principal_of(request))
    elif params.role is None and selectors.is_operator(user):
        # Operators see every dispute by default, when their credentials may operate.
        try:
            require_operator(principal_of(request))
            as_operator = True
        except DomainError:
            as_operator = False
    queryset = selectors.visible_disputes(user, as_operator=as_operator)
    if params.role == "complainant":
        queryset = queryset.filter(complainant=user)
    elif params.role == "seller":
        queryset = queryset.filter(seller_id__in=selectors.team_seller_ids(user))
    if params.status:
        queryset = queryset.filter(status=params.status)
    return [presenters.dispute_summary(d) for d in queryset.order_by("-created_at", "-id")[:100]]


@disputes_router.get("/{dispute_id}", response=DisputeOut, summary="One dispute")
def get_dispute(request: HttpRequest, dispute_id: int) -> dict[str, Any]:
    user = _user(request)
    return presenters.dispute_out(selectors.dispute_for(user, dispute_id), user)


@disputes_router.post("/{dispute_id}/evidence", response={201: EvidenceOut}, summary="Add evidence")
def add_evidence(
    request: HttpRequest,
    dispute_id: int,
    text: str = Form("", max_length=5000),  # type: ignore[type-arg]
    file: UploadedFile | None = File(None),  # type: ignore[type-arg]  # noqa: B008
) -> Any:
    user = _user(request, write=True)
    selectors.dispute_for(user, dispute_id)
    evidence = services.add_evidence(user=user, dispute_id=dispute_id, text=text, upload=file)
    return Status(201, presenters.evidence_out(evidence))


@disputes_router.get(
    "/{dispute_id}/evidence/{evidence_id}/file",
    summary="Download an evidence file",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file as uploaded (local storage)",
                "content": {
                    media_type: {"schema": {"type": "string", "format": "binary"}}
                    for media_type in sorted(services.IMAGE_TYPES | services.DOCUMENT_TYPES)
                },
            },
            302: {"description": "A presigned URL of the file (S3), valid five minutes"},
        }
    },
)
def evidence_file(request: HttpRequest, dispute_id: int, evidence_id: int) -> HttpResponseBase:
    user = _user(request)
    evidence = selectors.evidence_for(user, dispute_id, evidence_id)
    return serve_evidence(evidence)


def serve_evidence(evidence: Any) -> HttpResponseBase:
    if not evidence.file:
        from core.disputes.errors import not_found

        raise not_found()
    url = private_file_url(
        evidence.file, download_name=evidence.file_name, content_type=evidence.content_type
    )
    if url is not None:
        redirect = HttpResponseRedirect(url)
        redirect["Cache-Control"] = "no-store"
        return redirect
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=evidence.kind != "image",
        filename=evidence.file_name,
        content_type=evidence.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@disputes_router.post(
    "/{dispute_id}/messages", response={201: MessageOut}, summary="Comment on a dispute"
)
def add_message(request: HttpRequest, dispute_id: int, payload: MessageIn) -> Any:
    user = _user(request, write=True)
    selectors.dispute_for(user, dispute_id)
    message = services.add_comment(user=user, dispute_id=dispute_id, text=payload.text)
    return Status(201, presenters.message_out(message))


@disputes_router.post(
    "/{dispute_id}/review", response=DisputeOut, summary="Take a dispute for review (operator)"
)
def take_for_review(request: HttpRequest, dispute_id: int) -> dict[str, Any]:
    require_operator(principal_of(request))
    user = _user(request, write=True)
    dispute = services.take_for_review(operator=user, dispute_id=dispute_id)
    return presenters.dispute_out(dispute, user)


def _operator_decision(
    request: HttpRequest,
    dispute_id: int,
    *,
    scope: str,
    payload: Schema,
    decide: Callable[[User], Dispute],
) -> Any:
    """An operator's decision (a resolution or an appeal's), once per Idempotency-Key: a
    replay answers the first decision again and moves no money twice."""
    principal = principal_of(request)
    require_operator(principal)
    user = principal.user
    selectors.dispute_for(user, dispute_id)

    def operation(key: str) -> tuple[int, dict[str, Any]]:
        return 200, presenters.dispute_out(decide(user), user)

    return run_idempotent(
        request,
        user_id=user.pk,
        scope=f"{scope}:{dispute_id}",
        body=payload.model_dump(),
        operation=operation,
    )


@disputes_router.put(
    "/{dispute_id}/resolve",
    response={200: DisputeOut},
    summary="Decide a dispute (operator; Idempotency-Key)",
)
def resolve(request: HttpRequest, dispute_id: int, payload: ResolveIn) -> Any:
    return _operator_decision(
        request,
        dispute_id,
        scope="dispute-resolve",
        payload=payload,
        decide=lambda operator: services.resolve(
            operator=operator,
            dispute_id=dispute_id,
            resolution_type=payload.resolution_type,
            refund_to_buyer=payload.refund_to_buyer,
            release_to_seller=payload.release_to_seller,
            platform_compensation=payload.platform_compensation,
            note=payload.note,
        ),
    )


@disputes_router.post(
    "/{dispute_id}/appeal", response={201: DisputeOut}, summary="Appeal a decision (once)"
)
def appeal(request: HttpRequest, dispute_id: int, payload: AppealIn) -> Any:
    user = _user(request, write=True)
    selectors.dispute_for(user, dispute_id)
    dispute = services.appeal(user=user, dispute_id=dispute_id, text=payload.text)
    return Status(201, presenters.dispute_out(dispute, user))


@disputes_router.put(
    "/{dispute_id}/appeal",
    response={200: DisputeOut},
    summary="Decide an appeal (a different operator; Idempotency-Key)",
)
def decide_appeal(request: HttpRequest, dispute_id: int, payload: AppealDecisionIn) -> Any:
    return _operator_decision(
        request,
        dispute_id,
        scope="dispute-appeal",
        payload=payload,
        decide=lambda operator: services.decide_appeal(
            operator=operator,
            dispute_id=dispute_id,
            upheld=payload.upheld,
            compensation=payload.compensation,
            note=payload.note,
        ),
    )


@disputes_router.get(
    "/{dispute_id}/stripe-evidence",
    response=StripeEvidenceOut,
    exclude_none=True,
    summary="The dispute's evidence on Stripe's dispute evidence fields (operator)",
)
def stripe_evidence(request: HttpRequest, dispute_id: int) -> dict[str, str]:
    require_operator(principal_of(request))
    dispute = selectors.dispute_for(principal_of(request).user, dispute_id)
    return services.stripe_evidence(dispute)


@disputes_router.post(
    "/{dispute_id}/stripe-evidence/submit",
    response=DisputeOut,
    summary="Answer a card chargeback with the collected evidence (operator; once)",
)
def submit_chargeback_evidence(request: HttpRequest, dispute_id: int) -> dict[str, Any]:
    require_operator(principal_of(request))
    user = _user(request, write=True)
    selectors.dispute_for(user, dispute_id)
    dispute = services.submit_chargeback_evidence(operator=user, dispute_id=dispute_id)
    return presenters.dispute_out(dispute, user)
