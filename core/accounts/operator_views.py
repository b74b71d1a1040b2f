"""Operator pages for the marketplace's users (mounted under /operator/)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from core.accounts import forms
from core.accounts.models import User
from core.accounts.services import (
    moderation,
)
from core.accounts.views import USERS_PER_PAGE, operator_page, render_with_error, signed_in_user
from core.errors import DomainError

# --- operator: the marketplace's users -----------------------------------------------------------


def _marketplace_user(user_id: int) -> User:
    user = User.objects.filter(pk=user_id, deleted_at__isnull=True, is_support_agent=False).first()
    if user is None:
        raise Http404("No such user.")
    return user


@require_safe
@operator_page
def operator_users(request: HttpRequest) -> HttpResponse:
    search = forms.UserSearchForm(request.GET)
    users = User.objects.filter(deleted_at__isnull=True, is_support_agent=False)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    if query:
        users = users.filter(Q(email__icontains=query) | Q(full_name__icontains=query))
    page = Paginator(users.order_by("email"), USERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "operator/users.html", {"search": search, "page": page, "query": query})


def _user_page(
    request: HttpRequest, member: User, *, reason_form: forms.ReasonForm | None = None
) -> dict[str, Any]:
    return {
        "member": member,
        "reason_form": reason_form or forms.ReasonForm(),
        "reinstate_form": forms.ActionForm(),
    }


@require_safe
@operator_page
def operator_user(request: HttpRequest, user_id: int) -> HttpResponse:
    return render(request, "operator/user.html", _user_page(request, _marketplace_user(user_id)))


@require_POST
@operator_page
def operator_suspend_user(request: HttpRequest, user_id: int) -> HttpResponse:
    member = _marketplace_user(user_id)
    form = forms.ReasonForm(request.POST)
    context = _user_page(request, member, reason_form=form)
    if not form.is_valid():
        return render(request, "operator/user.html", context)
    try:
        moderation.suspend_user(
            actor=signed_in_user(request), user=member, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        member.refresh_from_db()
        return render_with_error(request, "operator/user.html", context, form=form, error=error)
    messages.success(request, f"{member.email} is suspended and has been told why.")
    return redirect("operator:user", user_id=member.pk)


@require_POST
@operator_page
def operator_reinstate_user(request: HttpRequest, user_id: int) -> HttpResponse:
    member = _marketplace_user(user_id)
    form = forms.ActionForm(request.POST)
    form.is_valid()
    try:
        moderation.reinstate_user(actor=signed_in_user(request), user=member)
    except DomainError as error:
        member.refresh_from_db()
        context = {**_user_page(request, member), "reinstate_form": form}
        return render_with_error(request, "operator/user.html", context, form=form, error=error)
    messages.success(request, f"{member.email} is reinstated.")
    return redirect("operator:user", user_id=member.pk)
