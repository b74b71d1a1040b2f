"""Serving a download through a signed local link (storage without presigned URLs). The
signature, its expiry, the user and the marketplace are checked in the service; the bytes go
out through the web server when it offers it (``SOUK_DOWNLOAD_ACCEL``: ``x-accel-redirect``
for nginx, ``x-sendfile`` for Apache/lighttpd) or are streamed by Django."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from core.errors import DomainError
from modules.digital.services.downloads import fetch_for_token


@require_GET
def fetch(request: HttpRequest, token: str) -> HttpResponseBase:
    user_id = request.user.pk if request.user.is_authenticated else None
    try:
        found = fetch_for_token(token=token, user_id=user_id)
    except DomainError as error:
        raise Http404(error.message) from None
    accel = settings.SOUK_DOWNLOAD_ACCEL
    response: HttpResponseBase
    if accel == "x-accel-redirect":
        prefix = settings.SOUK_DOWNLOAD_ACCEL_PREFIX
        response = HttpResponse(content_type=found.content_type)
        response["X-Accel-Redirect"] = f"{prefix}{found.field.name}"
    elif accel == "x-sendfile":
        response = HttpResponse(content_type=found.content_type)
        response["X-Sendfile"] = found.field.path
    else:
        response = FileResponse(found.field.open("rb"), content_type=found.content_type)
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=found.name) or "attachment"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
