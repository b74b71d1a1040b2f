"""The studio's direct uploads (``services.direct_uploads``), mounted beside ``studio_pages``
behind the manifest's permissions (so these views only read the seller).

Where files live on S3, the version form of a file card posts the file straight to the
bucket (``static/digital/direct_upload.js``): ``start_upload`` answers the signed POST as
JSON, the script sends the file with a progress bar, then ``complete_upload`` publishes it
and answers the file's card, exactly like the htmx upload through Souk (errors beside the
field). Without a bucket ``start_upload`` says so (409) and the script submits the ordinary
form. ``allow_bucket_uploads`` lets the product page's script reach the bucket: the page's
policy (``core.security_headers``) only lets scripts connect to Souk itself."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from core.errors import DomainError, ErrorKind
from core.security_headers import (
    FORM_ACTION_ATTRIBUTE,
    check_host_source,
    content_security_policy,
)
from core.sellers.auth import authorised_seller
from modules.digital.models import DigitalFile
from modules.digital.services import direct_uploads
from modules.digital.services.direct_uploads import DirectUploadErrorCode

View = Callable[..., HttpResponse]


def _field(error: DomainError) -> str:
    details = error.details if isinstance(error.details, dict) else {}
    return str(details.get("field") or "general")


def bucket_origin() -> str | None:
    """The origin the browser posts files to (``scheme://host[:port]``), None without S3."""
    storage = direct_uploads.bucket_storage()
    if storage is None:
        return None
    # Signing happens locally (no request): the URL a real ticket would carry.
    signed = storage.connection.meta.client.generate_presigned_post(
        Bucket=storage.bucket_name, Key="origin", ExpiresIn=60
    )
    parts = urlsplit(str(signed["url"]))
    return check_host_source(f"{parts.scheme}://{parts.netloc}".lower())


def allow_bucket_uploads(view: View) -> View:
    """Wraps a page holding version forms: its policy also lets scripts connect to the
    bucket (``connect-src``), so the direct upload can run; unchanged without S3."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        origin = bucket_origin()
        if origin is None or "Content-Security-Policy" in response.headers:
            return response
        form_action: tuple[str, ...] = getattr(response, FORM_ACTION_ATTRIBUTE, ())
        policy = content_security_policy(form_action=form_action)
        response.headers["Content-Security-Policy"] = f"{policy}; connect-src 'self' {origin}"
        return response

    return wrapped


@require_POST
def start_upload(request: HttpRequest, file_id: int) -> JsonResponse:
    """The signed POST for the file's next version (``direct: true``), or ``direct: false``
    (409) when files are stored locally and the ordinary form is the way."""
    seller = authorised_seller(request)
    size_text = request.POST.get("size", "").strip()
    try:
        ticket = direct_uploads.start_upload(
            seller_id=seller.pk,
            file_id=file_id,
            name=request.POST.get("name", "")[:255],
            size=int(size_text) if size_text.isdigit() else None,
        )
    except DomainError as error:
        if error.code == DirectUploadErrorCode.UNAVAILABLE:
            return JsonResponse({"direct": False, "message": error.message}, status=409)
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        return JsonResponse(
            {"direct": True, "message": error.message, "field": _field(error)}, status=422
        )
    return JsonResponse(
        {
            "direct": True,
            "upload_key": ticket.upload_key,
            "url": ticket.url,
            "fields": ticket.fields,
            "max_bytes": ticket.max_bytes,
            # ``files/<id>/direct/<key>/complete/`` beside this view's ``files/<id>/direct/``.
            "complete_url": f"{request.path.rstrip('/')}/{ticket.upload_key}/complete/",
        }
    )


@require_POST
def complete_upload(request: HttpRequest, file_id: int, upload_key: str) -> HttpResponse:
    """Publish what the browser sent; the file's card comes back (200 even when refused: the
    card carries the error beside the field, as the htmx upload does)."""
    seller = authorised_seller(request)
    changelog = request.POST.get("changelog", "")[:5000]
    errors: dict[str, str] = {}
    try:
        direct_uploads.complete_upload(
            seller_id=seller.pk,
            file_id=file_id,
            upload_key=upload_key,
            name=request.POST.get("name", ""),
            changelog=changelog,
        )
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND and error.code != DirectUploadErrorCode.MISSING:
            raise Http404(error.message) from None
        errors = {_field(error): error.message}
    else:
        changelog = ""
    fresh = DigitalFile.objects.prefetch_related("versions").get(pk=file_id)
    entry = {"file": fresh, "errors": errors, "form": {"changelog": changelog}}
    return render(
        request,
        "digital/studio/_file.html",
        {"entry": entry, "just_published": not errors, "direct_uploads": True},
    )
