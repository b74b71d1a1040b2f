"""The operator's automated moderation pages: the settings (``operator:automod_settings``)
and the confirm / overturn buttons of the holds on the Moderation page. Each view is
wrapped in ``operator_page`` and writes through the services."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.accounts.views import operator_page, signed_in_user
from core.automod.forms import PolicyForm
from core.automod.selectors import settings_row
from core.automod.services.decisions import confirm_hold, overturn_hold
from core.automod.services.policy import PolicyInput, update_policy
from core.errors import DomainError


@require_http_methods(["GET", "POST"])
@operator_page
def settings_page(request: HttpRequest) -> HttpResponse:
    row = settings_row()
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            data = form.cleaned_lists()
            try:
                update_policy(data=PolicyInput(**data))
            except DomainError as error:
                field = (error.details or {}).get("field")
                form.add_error(field if field in form.fields else None, error.message)
            else:
                messages.success(request, "Automated moderation settings saved.")
                return HttpResponseRedirect(reverse("operator:automod_settings"))
        status = 400
    else:
        form = PolicyForm(
            initial={
                "banned_words": "\n".join(row.banned_words),
                "hold_threshold_percent": row.hold_threshold_percent,
                "allowed_domains": "\n".join(row.allowed_domains),
                "repeat_limit": row.repeat_limit,
                "repeat_window_hours": row.repeat_window_hours,
                "publish_clean_listings": row.publish_clean_listings,
            }
        )
        status = 200
    return render(request, "automod/settings.html", {"form": form}, status=status)


@require_POST
@operator_page
def decide_hold(request: HttpRequest, decision_id: int) -> HttpResponse:
    operator = signed_in_user(request)
    action = request.POST.get("action", "")
    try:
        if action == "confirm":
            confirm_hold(
                operator=operator, decision_id=decision_id, reason=request.POST.get("reason", "")
            )
            messages.success(request, "Hold confirmed: the item stays off the marketplace.")
        elif action == "overturn":
            overturn_hold(operator=operator, decision_id=decision_id)
            messages.success(request, "Hold overturned: the item is live.")
        else:
            messages.error(request, "Choose confirm or overturn.")
    except DomainError as error:
        messages.error(request, error.message)
    return HttpResponseRedirect(reverse("operator:moderation") + "#automated-holds")
