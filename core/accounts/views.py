from __future__ import annotations

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_safe

from core.accounts.errors import AccountError
from core.accounts.services.login_handoff import redeem_login_handoff


@require_safe
def login_handoff(request: HttpRequest) -> HttpResponse:
    """Lands a user signed in from another host (e.g. a new operator after sign-up)."""
    try:
        user = redeem_login_handoff(token=request.GET.get("token", ""))
    except AccountError as error:
        return render(request, "accounts/handoff_invalid.html", {"error": error}, status=400)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponseRedirect("/")
