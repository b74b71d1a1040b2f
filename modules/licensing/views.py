"""The buyer's licence pages: ``/licenses/`` (every licence, keys with copy buttons) and
``/licenses/<id>/`` (machines, the account in the seller's software), with a form to
deactivate a machine. They read and write what the API does (``api_licenses.py``): the same
selectors, presenters and services. Another buyer's licence is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from core.accounts.views import signed_in_user
from core.errors import DomainError, ErrorKind
from modules.licensing import presenters_licenses as presenters
from modules.licensing import selectors
from modules.licensing.models import License, LicenseStatus
from modules.licensing.services import lifecycle

LICENSES_PER_PAGE = 25


def _own(request: HttpRequest, license_id: int) -> License:
    try:
        return selectors.buyers_license(signed_in_user(request), license_id)
    except DomainError as error:
        raise Http404(error.message) from None


def _status_label(value: str) -> str:
    return LicenseStatus(value).label if value in LicenseStatus.values else value


@never_cache
@login_required
@require_safe
def license_list(request: HttpRequest) -> HttpResponse:
    licenses = selectors.buyer_licenses(signed_in_user(request)).order_by("-id")
    page = Paginator(licenses, LICENSES_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {**presenters.buyer_license_dict(license), "status_label": _status_label(license.status)}
        for license in page.object_list
    ]
    return render(request, "licensing/licenses.html", {"page": page, "rows": rows})


@never_cache
@login_required
@require_safe
def license_detail(request: HttpRequest, license_id: int) -> HttpResponse:
    license = _own(request, license_id)
    context = {
        "license": presenters.buyer_license_dict(license),
        "status_label": _status_label(license.status),
    }
    return render(request, "licensing/license.html", context)


@login_required
@require_POST
def deactivate_machine(request: HttpRequest, license_id: int, machine_id: int) -> HttpResponse:
    license = _own(request, license_id)
    try:
        lifecycle.deactivate_machine(license=license, machine_id=machine_id, actor_label="buyer")
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        messages.error(request, error.message)
    else:
        messages.success(request, "The machine is deactivated; its seat is free.")
    return HttpResponseRedirect(reverse("licensing:license", args=[license.pk]))
