"""Seller-side (``/api/v1/seller/``), operator review (``/api/v1/operator/sellers/``), public
profiles (``/api/v1/sellers/``) and the partner API root (``/api/v1/partner/v1/``). Auth is set
where ``api/v1.py`` mounts each router: ``seller_account_auth()`` for a user's own seller account
(they may still be onboarding, so no team lookup), ``seller_team_auth(configure_integration)``
for API keys, ``operator_auth()`` for review. The partner root is mounted with
``any_seller_key_auth()`` (any live key may ask whose it is); every other partner operation
names its key permission with ``seller_key_auth(...)`` (core.sellers.auth)."""

from typing import Any

from django.db.models import Count, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from core.accounts.auth import user_auth
from core.accounts.principal import (
    principal_of,
)
from core.commerce.seller_profiles import public_seller_profile
from core.errors import ErrorKind
from core.marketplace import site_url
from core.pagination import CursorPagination
from core.sellers.auth import authorised_seller
from core.sellers.errors import SellerError, SellerErrorCode
from core.sellers.models import (
    Seller,
    SellerStatus,
    VerificationDocument,
    VerificationStatus,
)
from core.sellers.schemas import (
    ApiKeyIn,
    ApiKeyOut,
    ApproveIn,
    BusinessDetailsIn,
    CommissionIn,
    DocumentKind,
    DocumentOut,
    InvitationOut,
    InviteIn,
    IssuedApiKeyOut,
    MemberOut,
    NameIn,
    PermissionsIn,
    ProductTypesIn,
    PublicProfileIn,
    PublicSellerOut,
    ReasonIn,
    ReviewQueueItemOut,
    SellerOut,
    StatusIn,
)
from core.sellers.selectors import (
    own_seller,
    visible_seller,
)
from core.sellers.services import api_keys, onboarding, review, team
from core.storage import private_file_url

seller_router = Router()
seller_api_keys_router = Router()
operator_sellers_router = Router()
public_sellers_router = Router()
partner_router = Router()


def seller_out(seller: Seller) -> dict[str, Any]:
    return {
        **{
            field: getattr(seller, field)
            for field in SellerOut.model_fields
            if hasattr(seller, field)
        },
        "can_sell": sorted(seller.can_sell),
        "missing_steps": onboarding.missing_steps(seller),
        "documents": list(seller.documents.order_by("id")),
    }


# --- /seller: onboarding -----------------------------------------------------------------------


@seller_router.post("/onboarding", response={201: SellerOut}, summary="Start seller onboarding")
def start_onboarding(request: HttpRequest, payload: BusinessDetailsIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    seller = onboarding.start_onboarding(user=principal.user, **payload.model_dump())
    return Status(201, seller_out(seller))


@seller_router.get("/onboarding", response=SellerOut)
def onboarding_state(request: HttpRequest) -> dict[str, Any]:
    return seller_out(own_seller(principal_of(request).user))


@seller_router.put("/onboarding/business", response=SellerOut)
def update_business(request: HttpRequest, payload: BusinessDetailsIn) -> dict[str, Any]:
    seller = own_seller(principal_of(request).user)
    return seller_out(onboarding.update_business_details(seller=seller, **payload.model_dump()))


@seller_router.post("/onboarding/documents", response={201: DocumentOut})
def upload_document(
    request: HttpRequest, file: File[UploadedFile], kind: Form[DocumentKind] = "identity"
) -> Status[VerificationDocument]:
    seller = own_seller(principal_of(request).user)
    return Status(201, onboarding.add_verification_document(seller=seller, upload=file, kind=kind))


@seller_router.delete("/onboarding/documents/{document_id}", response={204: None})
def remove_document(request: HttpRequest, document_id: int) -> Status[None]:
    seller = own_seller(principal_of(request).user)
    onboarding.remove_verification_document(seller=seller, document_id=document_id)
    return Status(204, None)


@seller_router.put("/onboarding/product-types", response=SellerOut)
def request_product_types(request: HttpRequest, payload: ProductTypesIn) -> dict[str, Any]:
    seller = own_seller(principal_of(request).user)
    return seller_out(
        onboarding.request_product_types(seller=seller, product_types=payload.product_types)
    )


@seller_router.post("/onboarding/payouts", response=SellerOut, summary="Payout set-up hand-off")
def payout_setup(request: HttpRequest) -> dict[str, Any]:
    seller = own_seller(principal_of(request).user)
    return seller_out(onboarding.complete_payout_setup(seller=seller))


@seller_router.post("/onboarding/submit", response=SellerOut)
def submit(request: HttpRequest) -> dict[str, Any]:
    seller = own_seller(principal_of(request).user)
    return seller_out(onboarding.submit_for_review(seller=seller))


@seller_router.put("/profile", response=PublicSellerOut)
def update_profile(request: HttpRequest, payload: PublicProfileIn) -> dict[str, Any]:
    seller = own_seller(principal_of(request).user)
    updated = onboarding.update_public_profile(
        seller=seller,
        bio=payload.bio,
        website=str(payload.website or ""),
        portfolio=[{"title": item.title, "url": str(item.url)} for item in payload.portfolio],
    )
    return public_seller_profile(updated)


# --- /seller: team -----------------------------------------------------------------------------


@seller_router.get("/team", response=list[MemberOut])
def list_team(request: HttpRequest) -> Any:
    seller = own_seller(principal_of(request).user)
    return seller.members.select_related("user").order_by("id")


@seller_router.post("/team/invitations", response={201: InvitationOut})
def invite(request: HttpRequest, payload: InviteIn) -> Status[Any]:
    principal = principal_of(request)
    seller = own_seller(principal.user)
    invitation = team.invite_member(
        seller=seller,
        invited_by=principal.user,
        email=payload.email,
        permissions=payload.permissions,
        base_url=site_url(request),
    )
    return Status(201, invitation)


@seller_router.post("/team/invitations/accept", response=MemberOut, auth=user_auth)
def accept_invitation(request: HttpRequest, payload: NameIn) -> Any:
    """``name`` carries the invitation token from the e-mailed link. Any signed-in user may
    accept (the invitee is not a seller yet), hence the operation's own auth."""
    return team.accept_invitation(user=principal_of(request).user, token=payload.name)


@seller_router.put("/team/{member_id}", response=MemberOut)
def update_member(request: HttpRequest, member_id: int, payload: PermissionsIn) -> Any:
    seller = own_seller(principal_of(request).user)
    return team.update_member_permissions(
        seller=seller, member_id=member_id, permissions=payload.permissions
    )


@seller_router.delete("/team/{member_id}", response={204: None})
def remove_member(request: HttpRequest, member_id: int) -> Status[None]:
    seller = own_seller(principal_of(request).user)
    team.remove_member(seller=seller, member_id=member_id)
    return Status(204, None)


# --- /seller: API keys (configure_integration) ---------------------------------------------------


@seller_api_keys_router.get("", response=list[ApiKeyOut])
def list_api_keys(request: HttpRequest) -> Any:
    seller = authorised_seller(request)
    return seller.api_keys.filter(revoked_at__isnull=True).order_by("id")


def _issued(issued: api_keys.IssuedApiKey) -> dict[str, Any]:
    key = issued.key
    return {
        "id": key.pk,
        "name": key.name,
        "prefix": key.prefix,
        "permissions": key.permissions,
        "created_at": key.created_at,
        "last_used_at": key.last_used_at,
        "key": issued.raw,
    }


@seller_api_keys_router.post("", response={201: IssuedApiKeyOut})
def create_api_key(request: HttpRequest, payload: ApiKeyIn) -> Status[dict[str, Any]]:
    principal, seller = principal_of(request), authorised_seller(request)
    _require_verified(seller)
    issued = api_keys.create_api_key(
        seller=seller,
        name=payload.name,
        created_by=principal.user,
        permissions=payload.permissions,
    )
    return Status(201, _issued(issued))


@seller_api_keys_router.post("/{key_id}/rotate", response=IssuedApiKeyOut)
def rotate_api_key(request: HttpRequest, key_id: int) -> dict[str, Any]:
    principal, seller = principal_of(request), authorised_seller(request)
    return _issued(api_keys.rotate_api_key(seller=seller, key_id=key_id, created_by=principal.user))


@seller_api_keys_router.delete("/{key_id}", response={204: None})
def revoke_api_key(request: HttpRequest, key_id: int) -> Status[None]:
    seller = authorised_seller(request)
    api_keys.revoke_api_key(seller=seller, key_id=key_id)
    return Status(204, None)


def _require_verified(seller: Seller) -> None:
    if not seller.is_verified or seller.status != SellerStatus.ACTIVE:
        raise SellerError(
            SellerErrorCode.INVALID_STATE,
            "Only verified, active sellers can connect their systems.",
            kind=ErrorKind.CONFLICT,
        )


# --- /operator/sellers ---------------------------------------------------------------------------


class SellerFilter(Schema):
    verification_status: VerificationStatus | None = None
    q: str | None = None


def _review_queryset() -> QuerySet[Seller]:
    return Seller.objects.select_related("owner").annotate(document_count=Count("documents"))


def _queue_item(seller: Seller) -> dict[str, Any]:
    return {
        **{f: getattr(seller, f) for f in ReviewQueueItemOut.model_fields if hasattr(seller, f)},
        "owner_email": seller.owner.email,
        "can_sell": sorted(seller.can_sell),
    }


def _reviewed_seller(seller_id: int) -> Seller:
    seller = _review_queryset().filter(pk=seller_id).first()
    if seller is None:
        raise SellerError(
            SellerErrorCode.SELLER_NOT_FOUND, "No such seller.", kind=ErrorKind.NOT_FOUND
        )
    return seller


class ReviewQueuePagination(CursorPagination):
    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        page["items"] = [_queue_item(seller) for seller in page["items"]]
        return page


@operator_sellers_router.get("", response=list[ReviewQueueItemOut], summary="The review queue")
@paginate(ReviewQueuePagination)
def list_sellers(request: HttpRequest, filters: Query[SellerFilter]) -> QuerySet[Seller]:
    sellers = _review_queryset()
    if filters.verification_status:
        sellers = sellers.filter(verification_status=filters.verification_status)
    if filters.q:
        sellers = sellers.filter(business_name__icontains=filters.q)
    return sellers


@operator_sellers_router.get("/{seller_id}", response=SellerOut)
def get_seller(request: HttpRequest, seller_id: int) -> dict[str, Any]:
    return seller_out(_reviewed_seller(seller_id))


@operator_sellers_router.get(
    "/{seller_id}/documents/{document_id}",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file as uploaded (local storage)",
                "content": {
                    media_type: {"schema": {"type": "string", "format": "binary"}}
                    for media_type in ("application/pdf", "image/png", "image/jpeg")
                },
            },
            302: {"description": "A presigned URL of the file (S3), valid five minutes"},
        }
    },
)
def download_document(request: HttpRequest, seller_id: int, document_id: int) -> HttpResponseBase:
    """On S3, a redirect to a presigned URL of at most five minutes (issued after the
    operator check above); on local storage the file is streamed."""
    seller = _reviewed_seller(seller_id)
    document = seller.documents.filter(pk=document_id).first()
    if document is None:
        raise SellerError(
            SellerErrorCode.INVALID_DOCUMENT, "No such document.", kind=ErrorKind.NOT_FOUND
        )
    url = private_file_url(
        document.file, download_name=document.original_name, content_type=document.content_type
    )
    if url is not None:
        redirect = HttpResponseRedirect(url)
        redirect["Cache-Control"] = "no-store"  # the signed URL is for this operator, now
        return redirect
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )


@operator_sellers_router.post("/{seller_id}/approve", response=SellerOut)
def approve(request: HttpRequest, seller_id: int, payload: ApproveIn) -> dict[str, Any]:
    seller = _reviewed_seller(seller_id)
    return seller_out(
        review.approve_seller(
            actor=principal_of(request).user,
            seller=seller,
            product_types=payload.product_types,
            site=site_url(request),
        )
    )


@operator_sellers_router.post("/{seller_id}/reject", response=SellerOut)
def reject(request: HttpRequest, seller_id: int, payload: ReasonIn) -> dict[str, Any]:
    seller = _reviewed_seller(seller_id)
    return seller_out(
        review.reject_seller(actor=principal_of(request).user, seller=seller, reason=payload.reason)
    )


@operator_sellers_router.put("/{seller_id}/product-types", response=SellerOut)
def set_product_types(
    request: HttpRequest, seller_id: int, payload: ProductTypesIn
) -> dict[str, Any]:
    seller = _reviewed_seller(seller_id)
    return seller_out(
        review.set_product_permissions(seller=seller, product_types=payload.product_types)
    )


@operator_sellers_router.put("/{seller_id}/commission", response=SellerOut)
def set_commission(request: HttpRequest, seller_id: int, payload: CommissionIn) -> dict[str, Any]:
    seller = _reviewed_seller(seller_id)
    return seller_out(
        review.set_commission(seller=seller, commission_rate_bp=payload.commission_rate_bp)
    )


@operator_sellers_router.put("/{seller_id}/status", response=SellerOut)
def set_status(request: HttpRequest, seller_id: int, payload: StatusIn) -> dict[str, Any]:
    seller = _reviewed_seller(seller_id)
    return seller_out(review.set_seller_status(seller=seller, status=SellerStatus(payload.status)))


# --- /sellers (public) and /partner/v1 -----------------------------------------------------------


@public_sellers_router.get("/{slug}", response=PublicSellerOut, auth=None)
def get_public_seller(request: HttpRequest, slug: str) -> dict[str, Any]:
    return public_seller_profile(visible_seller(slug))


@partner_router.get("/seller", response=PublicSellerOut, summary="The seller this API key is for")
def partner_seller(request: HttpRequest) -> dict[str, Any]:
    return public_seller_profile(authorised_seller(request))
