"""The seller onboarding wizard: business details, verification documents, product types,
payout set-up, then submission for the operator's review."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from core import cache_versions
from core.accounts.models import User
from core.accounts.validation import clean_name
from core.automod.models import ContentKind, Decision
from core.automod.services.outcomes import operator_released, operator_removed
from core.automod.services.screening import moderate
from core.errors import ErrorKind
from core.registry.enablement import sellable_product_types
from core.sellers.emails import notify_operators_of_submission
from core.sellers.errors import SellerError, SellerErrorCode
from core.sellers.models import (
    LegalForm,
    Seller,
    VerificationDocument,
    VerificationStatus,
)

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_DOCUMENTS = 10
# Checked against the file's first bytes, not the name or the client's content type.
DOCUMENT_SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
EDITABLE = {VerificationStatus.DRAFT, VerificationStatus.REJECTED}
COUNTRY = re.compile(r"^[A-Z]{2}$")


def _require_editable(seller: Seller) -> None:
    if seller.verification_status not in EDITABLE:
        raise SellerError(
            SellerErrorCode.NOT_EDITABLE,
            "Your application is under review or verified; contact the marketplace to change "
            "your business details.",
            kind=ErrorKind.CONFLICT,
        )


def _clean_details(
    business_name: str, legal_form: str, country: str, tax_id: str
) -> tuple[str, str, str, str]:
    name = clean_name(business_name, field="business_name")
    if not 2 <= len(name) <= 120:
        raise SellerError(
            SellerErrorCode.INVALID_BUSINESS_DETAILS,
            "The business name must be 2-120 characters.",
            details={"field": "business_name"},
            kind=ErrorKind.INVALID,
        )
    if legal_form not in LegalForm.values:
        raise SellerError(
            SellerErrorCode.INVALID_BUSINESS_DETAILS,
            "Choose individual or company.",
            details={"field": "legal_form"},
            kind=ErrorKind.INVALID,
        )
    country = country.strip().upper()
    if country and not COUNTRY.match(country):
        raise SellerError(
            SellerErrorCode.INVALID_BUSINESS_DETAILS,
            "Use the two-letter country code (e.g. DE).",
            details={"field": "country"},
            kind=ErrorKind.INVALID,
        )
    return name, legal_form, country, " ".join(tax_id.split())[:40]


def start_onboarding(
    *, user: User, business_name: str, legal_form: str, country: str = "", tax_id: str = ""
) -> Seller:
    name, legal_form, country, tax_id = _clean_details(business_name, legal_form, country, tax_id)
    if Seller.objects.filter(owner=user).exists():
        raise SellerError(
            SellerErrorCode.ALREADY_A_SELLER,
            "You already have a seller account.",
            kind=ErrorKind.CONFLICT,
        )
    base = slugify(name)[:50] or "seller"
    for attempt in range(5):
        slug = base if attempt == 0 else f"{base}-{secrets.token_hex(2)}"
        try:
            with transaction.atomic():
                return Seller.objects.create(
                    owner=user,
                    slug=slug,
                    business_name=name,
                    legal_form=legal_form,
                    country=country,
                    tax_id=tax_id,
                )
        except IntegrityError:
            if Seller.objects.filter(owner=user).exists():
                raise SellerError(
                    SellerErrorCode.ALREADY_A_SELLER,
                    "You already have a seller account.",
                    kind=ErrorKind.CONFLICT,
                ) from None
    raise SellerError(
        SellerErrorCode.INVALID_BUSINESS_DETAILS,
        "Could not find a free public address for this name; try a more specific name.",
        details={"field": "business_name"},
        kind=ErrorKind.CONFLICT,
    )


def update_business_details(
    *, seller: Seller, business_name: str, legal_form: str, country: str = "", tax_id: str = ""
) -> Seller:
    _require_editable(seller)
    seller.business_name, seller.legal_form, seller.country, seller.tax_id = _clean_details(
        business_name, legal_form, country, tax_id
    )
    seller.save(update_fields=["business_name", "legal_form", "country", "tax_id"])
    return seller


def add_verification_document(
    *, seller: Seller, upload: UploadedFile[bytes], kind: str
) -> VerificationDocument:
    _require_editable(seller)
    kind = " ".join(kind.split())[:40] or "document"
    size = upload.size or 0
    if size <= 0 or size > MAX_DOCUMENT_BYTES:
        raise SellerError(
            SellerErrorCode.INVALID_DOCUMENT,
            "Documents must be between 1 byte and 10 MB.",
            details={"field": "file", "size": size},
            kind=ErrorKind.INVALID,
        )
    head = upload.read(16)
    upload.seek(0)
    content_type = next(
        (kind_ for signature, kind_ in DOCUMENT_SIGNATURES.items() if head.startswith(signature)),
        None,
    )
    if content_type is None:
        raise SellerError(
            SellerErrorCode.INVALID_DOCUMENT,
            "Upload a PDF, PNG or JPEG file.",
            details={"field": "file"},
            kind=ErrorKind.INVALID,
        )
    if seller.documents.count() >= MAX_DOCUMENTS:
        raise SellerError(
            SellerErrorCode.INVALID_DOCUMENT,
            f"At most {MAX_DOCUMENTS} documents; remove one first.",
            details={"field": "file"},
            kind=ErrorKind.CONFLICT,
        )
    document = VerificationDocument(
        seller=seller,
        key=secrets.token_hex(16),
        kind=kind,
        original_name=(upload.name or "document")[-200:],
        content_type=content_type,
        size=size,
    )
    document.file.save(document.key, upload, save=False)
    document.save()
    return document


def remove_verification_document(*, seller: Seller, document_id: int) -> None:
    _require_editable(seller)
    document = seller.documents.filter(pk=document_id).first()
    if document is None:
        raise SellerError(
            SellerErrorCode.INVALID_DOCUMENT, "No such document.", kind=ErrorKind.NOT_FOUND
        )
    document.file.delete(save=False)
    document.delete()


def clean_product_types(kinds: Iterable[str], *, field: str = "product_types") -> list[str]:
    """Sorted unique type keys, each declared by a module that is on for this marketplace."""
    chosen = sorted(set(kinds))
    sellable = sellable_product_types()
    unavailable = [kind for kind in chosen if kind not in sellable]
    if unavailable:
        raise SellerError(
            SellerErrorCode.PRODUCT_TYPE_UNAVAILABLE,
            "This marketplace does not sell: " + ", ".join(unavailable) + ".",
            details={"field": field, "unavailable": unavailable},
            kind=ErrorKind.INVALID,
        )
    return chosen


def request_product_types(*, seller: Seller, product_types: Iterable[str]) -> Seller:
    _require_editable(seller)
    seller.requested_product_types = clean_product_types(product_types)
    seller.save(update_fields=["requested_product_types"])
    return seller


def complete_payout_setup(*, seller: Seller, account_reference: str = "") -> Seller:
    """Record where the seller is paid: ``account_reference`` is their account at a provider
    with hosted onboarding (Stripe Connect), which the wizard has just sent them to; without
    one (the sandbox) the step completes at once with a sandbox account id."""
    if account_reference and seller.payout_account_ref != account_reference:
        seller.payout_account_ref = account_reference
        seller.save(update_fields=["payout_account_ref"])
    elif not seller.payout_account_ref:
        seller.payout_account_ref = f"sandbox_acct_{secrets.token_hex(8)}"
        seller.save(update_fields=["payout_account_ref"])
    return seller


def missing_steps(seller: Seller) -> list[str]:
    missing = []
    if not seller.documents.exists():
        missing.append("verification_documents")
    if not seller.requested_product_types:
        missing.append("product_types")
    if not seller.payout_account_ref:
        missing.append("payout_setup")
    return missing


@transaction.atomic
def submit_for_review(*, seller: Seller) -> Seller:
    _require_editable(seller)
    missing = missing_steps(seller)
    if missing:
        raise SellerError(
            SellerErrorCode.ONBOARDING_INCOMPLETE,
            "Finish these steps first: " + ", ".join(missing) + ".",
            details={"missing": missing},
            kind=ErrorKind.CONFLICT,
        )
    seller.verification_status = VerificationStatus.PENDING
    seller.submitted_at = timezone.now()
    seller.rejection_reason = ""
    seller.save(update_fields=["verification_status", "submitted_at", "rejection_reason"])
    notify_operators_of_submission(seller=seller)
    return seller


def update_public_profile(
    *, seller: Seller, bio: str, website: str, portfolio: list[dict[str, str]]
) -> Seller:
    if len(portfolio) > 20:
        raise SellerError(
            SellerErrorCode.INVALID_BUSINESS_DETAILS,
            "At most 20 portfolio entries.",
            details={"field": "portfolio"},
            kind=ErrorKind.INVALID,
        )
    seller.website = website
    seller.portfolio = portfolio
    fields = ["website", "portfolio"]
    bio = bio.strip()[:4000]
    if bio != seller.bio and not _is_bio_held(seller, bio):
        seller.bio = bio
        fields.append("bio")
    seller.save(update_fields=fields)
    return seller


def _is_bio_held(seller: Seller, bio: str) -> bool:
    """Automated moderation of a changed profile text: a held text waits with the decision
    and the public profile keeps showing the previous one until an operator applies it."""
    if not bio:
        return False
    decision = moderate(
        kind=ContentKind.PROFILE,
        text=bio,
        author_id=seller.owner_id,
        object_id=seller.pk,
        pending_text=bio,
    )
    return bool(decision.flagged)


def apply_profile_text(*, seller_id: int, bio: str) -> None:
    """An operator released a held profile text: it becomes the public one."""
    Seller.objects.filter(pk=seller_id).update(bio=bio[:4000])


def remove_held_bio(operator: User, seller_id: int, reason: str) -> None:
    """Automated moderation's hold on a profile text confirmed: the text is discarded (the
    public profile keeps its previous text)."""
    operator_removed(kind=ContentKind.PROFILE, object_id=seller_id, operator_id=operator.pk)


def release_held_bio(operator: User, decision: Decision) -> None:
    """Automated moderation's hold overturned: the held text becomes the public one."""
    apply_profile_text(seller_id=decision.object_id, bio=decision.pending_text)
    operator_released(
        kind=ContentKind.PROFILE, object_id=decision.object_id, operator_id=operator.pk
    )


def seller_changed(sender: type[Seller], instance: Seller, **kwargs: object) -> None:
    """The receiver of Seller's post_save: storefront pages showing the profile are replaced."""
    cache_versions.bump(cache_versions.STOREFRONT)
