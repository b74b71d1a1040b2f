"""The studio's shop pages: the team (``/studio/team/``: members and their permissions,
invitations by e-mail), the public profile and portfolio (``/studio/profile/``), both for the
shop's owner only; the integration page is core/integrations' (mounted in ``urls.py``).
Views parse a form, call a service (core/sellers/services) and redirect, or show the form's
errors having written nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from core.accounts.views import base_url, render_with_error, signed_in_user
from core.errors import DomainError
from core.sellers.auth import authorised_seller
from core.sellers.models import Seller, SellerStatus, TeamPermission
from core.sellers.services import onboarding, team
from core.studio.guards import studio_page
from core.studio.shop import forms

TEAM = "studio/team.html"
PROFILE = "studio/profile.html"
PERMISSION_LABELS = dict(TeamPermission.choices)


def labels(codes: list[str]) -> list[str]:
    """Team permission codes as people read them, in the order the studio lists them."""
    return [label for code, label in TeamPermission.choices if code in codes] + [
        code for code in codes if code not in PERMISSION_LABELS
    ]


# --- team --------------------------------------------------------------------------------------


def _team_context(
    request: HttpRequest,
    seller: Seller,
    *,
    invite_form: forms.InviteForm | None = None,
    member_forms: dict[int, forms.MemberPermissionsForm] | None = None,
) -> dict[str, Any]:
    bound = member_forms or {}
    members = [
        {
            "member": member,
            "labels": labels(member.permissions),
            "form": bound.get(member.pk)
            or forms.MemberPermissionsForm(
                initial={"permissions": member.permissions}, prefix=f"member-{member.pk}"
            ),
        }
        for member in seller.members.select_related("user").order_by("added_at", "id")
    ]
    pending = [
        {"invitation": invitation, "labels": labels(invitation.permissions)}
        for invitation in seller.invitations.filter(
            accepted_at__isnull=True, expires_at__gt=timezone.now()
        ).order_by("-created_at", "-id")
    ]
    user = signed_in_user(request)
    may_invite = seller.is_verified and seller.status == SellerStatus.ACTIVE
    return {
        "seller": seller,
        "owner": seller.owner,
        "members": members,
        "pending": pending,
        "invite_form": invite_form or forms.InviteForm(),
        "may_invite": may_invite,
        "email_unverified": not user.is_email_verified,
        "all_permissions": TeamPermission.choices,
    }


def _to_team(anchor: str = "") -> HttpResponseRedirect:
    target = reverse("studio:team")
    return HttpResponseRedirect(f"{target}#{anchor}" if anchor else target)


@require_safe
@studio_page("studio:team")
def team_page(request: HttpRequest) -> HttpResponse:
    return render(request, TEAM, _team_context(request, authorised_seller(request)))


@require_POST
@studio_page("studio:team")
def invite(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    form = forms.InviteForm(request.POST)
    if not form.is_valid():
        return render(request, TEAM, _team_context(request, seller, invite_form=form))
    try:
        invitation = team.invite_member(
            seller=seller,
            invited_by=signed_in_user(request),
            email=form.cleaned_data["email"],
            permissions=form.cleaned_data["permissions"],
            base_url=base_url(request),
        )
    except DomainError as error:
        context = _team_context(request, seller, invite_form=form)
        return render_with_error(request, TEAM, context, form=form, error=error)
    messages.success(request, f"Invitation sent to {invitation.email}. It is valid for seven days.")
    return _to_team("pending")


@require_POST
@studio_page("studio:team")
def update_member(request: HttpRequest, member_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    form = forms.MemberPermissionsForm(request.POST, prefix=f"member-{member_id}")
    context = _team_context(request, seller, member_forms={member_id: form})
    if not form.is_valid():
        return render(request, TEAM, context)
    try:
        member = team.update_member_permissions(
            seller=seller, member_id=member_id, permissions=form.cleaned_data["permissions"]
        )
    except DomainError as error:
        return render_with_error(request, TEAM, context, form=form, error=error)
    messages.success(
        request, f"{member.user.email} may now: {', '.join(labels(member.permissions))}."
    )
    return _to_team(f"member-{member.pk}")


@require_POST
@studio_page("studio:team")
def remove_member(request: HttpRequest, member_id: int) -> HttpResponse:
    """The member's API keys stop working with them (the service revokes them)."""
    seller = authorised_seller(request)
    member = seller.members.select_related("user").filter(pk=member_id).first()
    if member is None:
        raise Http404("No such team member.")
    team.remove_member(seller=seller, member_id=member.pk)
    messages.success(
        request, f"{member.user.email} is no longer on the team; their API keys stop working."
    )
    return _to_team("members")


# --- profile and portfolio ---------------------------------------------------------------------


def _profile_context(
    seller: Seller,
    *,
    form: forms.PublicProfileForm | None = None,
    portfolio: Any = None,
) -> dict[str, Any]:
    initial = {"bio": seller.bio, "website": seller.website}
    items = [
        {"title": item.get("title", ""), "url": item.get("url", "")}
        for item in seller.portfolio
        if isinstance(item, dict)
    ]
    return {
        "seller": seller,
        "form": form or forms.PublicProfileForm(initial=initial),
        "portfolio": portfolio or forms.PortfolioFormSet(initial=items, prefix="portfolio"),
        "public_url": reverse("storefront:seller", args=[seller.slug]),
        "is_public": seller.is_verified and seller.status == SellerStatus.ACTIVE,
    }


@require_safe
@studio_page("studio:profile")
def profile_page(request: HttpRequest) -> HttpResponse:
    return render(request, PROFILE, _profile_context(authorised_seller(request)))


@require_POST
@studio_page("studio:profile")
def save_profile(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    form = forms.PublicProfileForm(request.POST)
    portfolio = forms.PortfolioFormSet(request.POST, prefix="portfolio")
    context = _profile_context(seller, form=form, portfolio=portfolio)
    if not (form.is_valid() and portfolio.is_valid()):
        return render(request, PROFILE, context)
    try:
        onboarding.update_public_profile(
            seller=seller,
            bio=form.cleaned_data["bio"],
            website=form.cleaned_data["website"],
            portfolio=forms.portfolio_items(portfolio),
        )
    except DomainError as error:
        seller.refresh_from_db()
        return render_with_error(request, PROFILE, context, form=form, error=error)
    messages.success(request, "Your public profile is saved.")
    return HttpResponseRedirect(reverse("studio:profile"))
