"""The buyer's pages: the library (every purchase of digital goods, newest first) and one
purchase with its files, versions, downloads left and licence. "Download" is a POST that
authorises the download and redirects to the short-lived link, so no link ever sits in the
HTML; a refusal comes back to the purchase's page with the service's words. Another buyer's
purchase is not found; where the module is off, the registry's guard answers 404 first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError, ErrorKind
from modules.digital.api import request_ip, user_agent_of
from modules.digital.manifest import manifest
from modules.digital.services import downloads, library

NOTICE_KEY = "digital_library_notice"  # {"purchase": id, "message": str, "ok": bool}


def _notice(request: HttpRequest, entitlement_id: int, message: str, ok: bool = False) -> None:
    request.session[NOTICE_KEY] = {"purchase": entitlement_id, "message": message, "ok": ok}


def _take_notice(request: HttpRequest, entitlement_id: int) -> dict[str, object] | None:
    notice = request.session.get(NOTICE_KEY)
    if isinstance(notice, dict) and notice.get("purchase") == entitlement_id:
        del request.session[NOTICE_KEY]
        return notice
    return None


def _buyer_id(request: HttpRequest) -> int:
    buyer_id = request.user.pk  # login_required ran first
    if buyer_id is None:
        raise Http404("Sign in first.")
    return int(buyer_id)


def _page(entitlement_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("digital:purchase", args=[entitlement_id]))


@require_GET
@never_cache
@login_required
def library_page(request: HttpRequest) -> HttpResponse:
    entries = library.library_of(_buyer_id(request))
    return render(request, "digital/library.html", {"module": manifest, "entries": entries})


@require_GET
@never_cache
@login_required
def purchase_page(request: HttpRequest, entitlement_id: int) -> HttpResponse:
    try:
        entry = library.entry_of(_buyer_id(request), entitlement_id)
    except DomainError:
        raise Http404("No such purchase.") from None
    context = {
        "module": manifest,
        "entry": entry,
        "notice": _take_notice(request, entry.entitlement_id),
    }
    return render(request, "digital/library_purchase.html", context)


@require_POST
@login_required
def download(request: HttpRequest, entitlement_id: int, version_id: int) -> HttpResponse:
    try:
        grant = downloads.authorise(
            buyer_id=_buyer_id(request),
            entitlement_id=entitlement_id,
            version_id=version_id,
            ip=request_ip(request),
            user_agent=user_agent_of(request),
        )
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        _notice(request, entitlement_id, error.message)
        return _page(entitlement_id)
    return HttpResponseRedirect(grant.url)


@require_POST
@login_required
def reset(request: HttpRequest, entitlement_id: int) -> HttpResponse:
    try:
        forgiven = downloads.reset_limit(buyer_id=_buyer_id(request), entitlement_id=entitlement_id)
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        _notice(request, entitlement_id, error.message)
        return _page(entitlement_id)
    words = "download" if forgiven == 1 else "downloads"
    _notice(
        request, entitlement_id, f"Your downloads are reset ({forgiven} {words} forgiven).", True
    )
    return _page(entitlement_id)
