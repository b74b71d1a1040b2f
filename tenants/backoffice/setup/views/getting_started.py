"""The getting-started checklist page (``operator:getting_started``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.accounts.views import operator_page
from tenants.backoffice.setup.checklist import getting_started


@require_GET
@operator_page
def getting_started_page(request: HttpRequest) -> HttpResponse:
    checklist = getting_started(request.tenant)  # type: ignore[attr-defined]
    return render(request, "backoffice/setup_getting_started.html", {"checklist": checklist})
