"""Seller pages: the onboarding wizard (``/seller/onboarding/``; once approved, it sends the
seller on to the studio and their first product), joining a seller's team from an e-mailed
invitation (``/seller/team/join/<token>/``), and the operator's review of applications
(``/operator/sellers/``). Views parse a form, call a service and render; internal codes
(steps, document kinds, product types) reach people as words."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, F, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.accounts.errors import AccountError
from core.accounts.forms import ActionForm, ServiceForm
from core.accounts.principal import require_two_factor
from core.accounts.views import (
    base_url,
    operator_page,
    refusal,
    render_with_error,
    session_principal,
    signed_in_user,
)
from core.errors import DomainError
from core.payments.providers import get_provider
from core.payments.services.payout_onboarding import start_payout_onboarding
from core.payments.services.paypal_payout_account import (
    choose_paypal_payouts,
    is_paypal_payouts_offered,
)
from core.registry.enablement import sellable_product_types
from core.security_headers import allow_form_action
from core.sellers import forms
from core.sellers.auth import remember_authorised_seller
from core.sellers.errors import SellerError, SellerErrorCode
from core.sellers.models import Seller, TeamMember, VerificationStatus
from core.sellers.selectors import acting_seller_holding, own_seller
from core.sellers.services import onboarding, review, team

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]

WIZARD = "seller/onboarding.html"
STEP_LABELS = {
    "verification_documents": "Upload a verification document",
    "product_types": "Choose what you will sell",
    "payout_setup": "Set up payouts",
}
SELLERS_PER_PAGE = 50
DOCUMENT_KIND_LABELS = dict(forms.DOCUMENT_KINDS)
# Where "Create your first product" leads: the studio's wizard once it is there, else the list.
FIRST_PRODUCT_URLS = ("studio:product_new", "studio:product_create", "studio:products")


def first_product_url() -> str:
    for name in FIRST_PRODUCT_URLS:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/studio/products/"


def document_kind_label(kind: str) -> str:
    """``business_registration`` -> "Business registration" (the form's words where known)."""
    return DOCUMENT_KIND_LABELS.get(kind) or kind.replace("_", " ").capitalize()


def product_type_labels(kinds: Iterable[str]) -> list[str]:
    """Product type codes as their modules name them (a code no module here knows as is)."""
    named = dict(forms.product_type_choices(kinds))
    return [named.get(kind, kind) for kind in kinds]


def finish_first_message(missing: Iterable[str]) -> str:
    steps = [STEP_LABELS.get(step, step.replace("_", " ")) for step in missing]
    if len(steps) == 1:
        return f"One step is left before you can submit: {steps[0].lower()}."
    listed = ", ".join(step.lower() for step in steps[:-1]) + f" and {steps[-1].lower()}"
    return f"A few steps are left before you can submit: {listed}."


def _documents(seller: Seller) -> list[dict[str, Any]]:
    return [
        {"document": document, "kind_label": document_kind_label(document.kind)}
        for document in seller.documents.order_by("id")
    ]


def seller_page(view: View[P]) -> View[P]:
    """Signed in, and past the second factor when this marketplace requires it of sellers."""

    @wraps(view)
    def guarded(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            require_two_factor(session_principal(request))
        except AccountError as error:
            return refusal(request, error)
        return view(request, *args, **kwargs)

    return login_required(guarded)


def team_page(permissions: Iterable[str]) -> Callable[[View[P]], View[P]]:
    """A seller page for the owner, or a teammate holding every one of ``permissions``; anyone
    else gets the 403 page. Wraps each view of a module's studio pages (its manifest's
    ``permissions``); the view reads the seller with ``authorised_seller(request)``."""
    needed = tuple(permissions)

    def decorate(view: View[P]) -> View[P]:
        @wraps(view)
        def guarded(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            try:
                seller = acting_seller_holding(signed_in_user(request), needed)
            except SellerError as error:
                return render(request, "errors/403.html", {"message": error.message}, status=403)
            remember_authorised_seller(request, seller)
            return view(request, *args, **kwargs)

        return seller_page(guarded)

    return decorate


def _payment_provider_origins(request: HttpRequest) -> tuple[str, ...]:
    return get_provider().onboarding_origins()


def wizard_page(view: View[P]) -> View[P]:
    """A seller page showing the wizard: its payout form is answered with a redirect to the
    payment provider's onboarding, so the page's form-action names the provider."""
    return seller_page(allow_form_action(_payment_provider_origins)(view))


# --- the onboarding wizard ---------------------------------------------------------------------


def _own_seller_or_none(request: HttpRequest) -> Seller | None:
    try:
        return own_seller(signed_in_user(request))
    except SellerError:
        return None


def _wizard_context(seller: Seller | None, **bound: ServiceForm) -> dict[str, Any]:
    if seller is None:
        return {
            "seller": None,
            "start_form": bound.get("start_form") or forms.BusinessDetailsForm(),
        }
    details = {
        "business_name": seller.business_name,
        "legal_form": seller.legal_form,
        "country": seller.country,
        "tax_id": seller.tax_id,
    }
    requested = {"product_types": seller.requested_product_types}
    return {
        "seller": seller,
        "is_editable": seller.verification_status in onboarding.EDITABLE,
        "missing_steps": [STEP_LABELS[step] for step in onboarding.missing_steps(seller)],
        "documents": _documents(seller),
        "can_sell_labels": product_type_labels(seller.can_sell),
        "requested_labels": product_type_labels(seller.requested_product_types),
        "first_product_url": first_product_url(),
        "has_products": seller.is_verified and seller.products.exists(),
        "business_form": bound.get("business_form") or forms.BusinessDetailsForm(initial=details),
        "document_form": bound.get("document_form") or forms.DocumentForm(),
        "remove_form": bound.get("remove_form") or ActionForm(),
        "product_types_form": bound.get("product_types_form")
        or forms.ProductTypesForm(initial=requested, available=sellable_product_types()),
        "payout_form": bound.get("payout_form") or ActionForm(),
        "is_paypal_offered": is_paypal_payouts_offered(),
        "paypal_form": bound.get("paypal_form") or forms.PayPalPayoutsForm(),
        "submit_form": bound.get("submit_form") or ActionForm(),
    }


def _step(
    request: HttpRequest,
    *,
    name: str,
    form: ServiceForm,
    action: Callable[[Seller], object],
    anchor: str,
    done: str,
) -> HttpResponse:
    """One step of the wizard: run the service on a valid form, then back to the page."""
    seller = _own_seller_or_none(request)
    if seller is None:
        return redirect("seller:onboarding")
    if not form.is_valid():
        return render(request, WIZARD, _wizard_context(seller, **{name: form}))
    try:
        action(seller)
    except DomainError as error:
        seller.refresh_from_db()
        context = _wizard_context(seller, **{name: form})
        return render_with_error(request, WIZARD, context, form=form, error=error)
    messages.success(request, done)
    return redirect(reverse("seller:onboarding") + f"#{anchor}")


@require_http_methods(["GET", "POST"])
@wizard_page
def onboarding_page(request: HttpRequest) -> HttpResponse:
    """The wizard; a POST here starts it with the business details."""
    seller = _own_seller_or_none(request)
    if request.method != "POST" or seller is not None:
        context = _wizard_context(seller)
        if seller is None:  # a teammate of another shop is pointed to its studio
            context["memberships"] = list(
                TeamMember.objects.filter(user=signed_in_user(request))
                .select_related("seller")
                .order_by("id")
            )
        return render(request, WIZARD, context)
    form = forms.BusinessDetailsForm(request.POST)
    context = _wizard_context(None, start_form=form)
    if not form.is_valid():
        return render(request, WIZARD, context)
    try:
        onboarding.start_onboarding(user=signed_in_user(request), **form.cleaned_data)
    except DomainError as error:
        return render_with_error(request, WIZARD, context, form=form, error=error)
    messages.success(request, "Your seller account is started. Now the documents.")
    return redirect(reverse("seller:onboarding") + "#documents")


@require_POST
@wizard_page
def business_details(request: HttpRequest) -> HttpResponse:
    form = forms.BusinessDetailsForm(request.POST)
    return _step(
        request,
        name="business_form",
        form=form,
        action=lambda seller: onboarding.update_business_details(
            seller=seller, **form.cleaned_data
        ),
        anchor="business",
        done="Business details saved.",
    )


@require_POST
@wizard_page
def upload_document(request: HttpRequest) -> HttpResponse:
    form = forms.DocumentForm(request.POST, request.FILES)
    return _step(
        request,
        name="document_form",
        form=form,
        action=lambda seller: onboarding.add_verification_document(
            seller=seller, upload=form.cleaned_data["file"], kind=form.cleaned_data["kind"]
        ),
        anchor="documents",
        done="Document uploaded.",
    )


@require_POST
@wizard_page
def remove_document(request: HttpRequest, document_id: int) -> HttpResponse:
    return _step(
        request,
        name="remove_form",
        form=ActionForm(request.POST),
        action=lambda seller: onboarding.remove_verification_document(
            seller=seller, document_id=document_id
        ),
        anchor="documents",
        done="Document removed.",
    )


@require_POST
@wizard_page
def product_types(request: HttpRequest) -> HttpResponse:
    form = forms.ProductTypesForm(request.POST, available=sellable_product_types())
    return _step(
        request,
        name="product_types_form",
        form=form,
        action=lambda seller: onboarding.request_product_types(
            seller=seller, product_types=form.cleaned_data["product_types"]
        ),
        anchor="product-types",
        done="Product types saved.",
    )


@require_POST
@wizard_page
def payout_setup(request: HttpRequest) -> HttpResponse:
    """The hand-off to the payment provider's onboarding (Stripe Connect), which sends the
    seller back to the wizard; the sandbox, which has no such page, completes at once."""
    if not get_provider().onboarding_origins():
        return _step(
            request,
            name="payout_form",
            form=ActionForm(request.POST),
            action=lambda seller: onboarding.complete_payout_setup(seller=seller),
            anchor="payouts",
            done="Payouts are set up.",
        )
    seller = _own_seller_or_none(request)
    form = ActionForm(request.POST)
    if seller is None:
        return redirect("seller:onboarding")
    if not form.is_valid():
        return render(request, WIZARD, _wizard_context(seller, payout_form=form))
    back = base_url(request) + reverse("seller:onboarding") + "#payouts"
    try:
        started = start_payout_onboarding(seller=seller, return_url=back, refresh_url=back)
    except DomainError as error:
        seller.refresh_from_db()
        context = _wizard_context(seller, payout_form=form)
        return render_with_error(request, WIZARD, context, form=form, error=error)
    return HttpResponseRedirect(started.url)


@require_POST
@wizard_page
def payout_paypal(request: HttpRequest) -> HttpResponse:
    """Get paid with PayPal instead, at the address entered (where the marketplace offers
    it): nothing to visit at PayPal, so the step is done at once."""
    form = forms.PayPalPayoutsForm(request.POST)
    return _step(
        request,
        name="paypal_form",
        form=form,
        action=lambda seller: choose_paypal_payouts(
            seller=seller, email=form.cleaned_data["email"]
        ),
        anchor="payouts",
        done="Payouts are set up: you are paid with PayPal.",
    )


def _submit_for_review(seller: Seller) -> None:
    """The service names missing steps by code; the page says them in words."""
    try:
        onboarding.submit_for_review(seller=seller)
    except SellerError as error:
        details = error.details if isinstance(error.details, dict) else {}
        if error.code != SellerErrorCode.ONBOARDING_INCOMPLETE or "missing" not in details:
            raise
        raise SellerError(
            error.code,
            finish_first_message(details["missing"]),
            details=details,
            kind=error.kind,
        ) from None


@require_POST
@wizard_page
def submit(request: HttpRequest) -> HttpResponse:
    return _step(
        request,
        name="submit_form",
        form=ActionForm(request.POST),
        action=_submit_for_review,
        anchor="status",
        done="Submitted. The marketplace will review your application.",
    )


# --- joining a team ------------------------------------------------------------------------------

JOIN = "seller/join.html"


@require_http_methods(["GET", "POST"])
@seller_page
def join_team(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a team invitation: the invited person (signed in with that address) joins
    with one button, then lands in the studio. A wrong, used or expired link says so."""
    if request.method != "POST":
        return render(request, JOIN, {"form": ActionForm(), "token": token})
    form = ActionForm(request.POST)
    if not form.is_valid():
        return render(request, JOIN, {"form": form, "token": token})
    try:
        member = team.accept_invitation(user=signed_in_user(request), token=token)
    except DomainError as error:
        return render_with_error(
            request, JOIN, {"form": form, "token": token}, form=form, error=error
        )
    messages.success(request, f"Welcome to the team of {member.seller.business_name}.")
    return redirect("/studio/")


# --- the operator's review -----------------------------------------------------------------------


@require_safe
@operator_page
def review_queue(request: HttpRequest) -> HttpResponse:
    """Waiting applications first, oldest first; then everyone else."""
    filter_form = forms.QueueFilterForm(request.GET)
    status = filter_form.cleaned_data["status"] if filter_form.is_valid() else ""
    sellers = Seller.objects.select_related("owner").annotate(
        document_count=Count("documents"),
        queue_rank=Case(
            When(verification_status=VerificationStatus.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
    )
    if status:
        sellers = sellers.filter(verification_status=status)
    ordered = sellers.order_by("queue_rank", F("submitted_at").asc(nulls_last=True), "id")
    page = Paginator(ordered, SELLERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "operator/sellers.html", {"filter_form": filter_form, "page": page})


def _seller_for_review(seller_id: int) -> Seller:
    seller = Seller.objects.select_related("owner").filter(pk=seller_id).first()
    if seller is None:
        raise Http404("No such seller.")
    return seller


def _review_context(
    seller: Seller,
    *,
    approve_form: forms.ApproveForm | None = None,
    reject_form: forms.RejectForm | None = None,
) -> dict[str, Any]:
    available = sellable_product_types()
    requested = [kind for kind in seller.requested_product_types if kind in available]
    return {
        "seller": seller,
        "documents": _documents(seller),
        "can_sell_labels": product_type_labels(seller.can_sell),
        "requested_labels": product_type_labels(seller.requested_product_types),
        "approve_form": approve_form
        or forms.ApproveForm(initial={"product_types": requested}, available=available),
        "reject_form": reject_form or forms.RejectForm(),
        "is_pending": seller.verification_status == VerificationStatus.PENDING,
    }


@require_safe
@operator_page
def review_seller(request: HttpRequest, seller_id: int) -> HttpResponse:
    seller = _seller_for_review(seller_id)
    return render(request, "operator/seller.html", _review_context(seller))


@require_POST
@operator_page
def approve_seller(request: HttpRequest, seller_id: int) -> HttpResponse:
    seller = _seller_for_review(seller_id)
    form = forms.ApproveForm(request.POST, available=sellable_product_types())
    context = _review_context(seller, approve_form=form)
    if not form.is_valid():
        return render(request, "operator/seller.html", context)
    try:
        review.approve_seller(
            actor=signed_in_user(request),
            seller=seller,
            product_types=form.cleaned_data["product_types"],
            site=base_url(request),
        )
    except DomainError as error:
        seller.refresh_from_db()
        return render_with_error(request, "operator/seller.html", context, form=form, error=error)
    kinds = ", ".join(product_type_labels(sorted(seller.can_sell))) or "nothing yet"
    messages.success(request, f"{seller.business_name} is verified and may sell: {kinds}.")
    return redirect("operator:sellers")


@require_POST
@operator_page
def reject_seller(request: HttpRequest, seller_id: int) -> HttpResponse:
    seller = _seller_for_review(seller_id)
    form = forms.RejectForm(request.POST)
    context = _review_context(seller, reject_form=form)
    if not form.is_valid():
        return render(request, "operator/seller.html", context)
    try:
        review.reject_seller(
            actor=signed_in_user(request), seller=seller, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        seller.refresh_from_db()
        return render_with_error(request, "operator/seller.html", context, form=form, error=error)
    messages.success(request, f"{seller.business_name} was asked to fix: {seller.rejection_reason}")
    return redirect("operator:sellers")
