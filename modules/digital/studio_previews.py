"""The "Previews" section of a product's studio page: the public previews as buyers see them
(pictures and clips, with where each came from), how each file's latest version was
previewed (a failure with its reason and what to do), and the seller's own previews added,
replaced, removed and moved over htmx. Over htmx every action answers the section alone
(errors beside the field, 200 so htmx swaps it, the rest of the page untouched); without
htmx a success redirects to the product page and a refusal renders it with the error.
Another seller's product or preview is 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.catalog.models import Product
from core.errors import DomainError, ErrorKind
from core.sellers.auth import authorised_seller
from modules.digital.models import Preview
from modules.digital.services import previews, products

SECTION = "digital/studio/_previews.html"
ADD = "add"  # the add form's key in the errors


def _is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


def _source_label(preview: Preview) -> str:
    if preview.is_custom or preview.source is None:
        return "Your own"
    return f"From {preview.source.file.title}, version {preview.source.number}"


def section_context(
    product: Product,
    *,
    errors: dict[int | str, str] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    """What ``_previews.html`` shows (``section`` in the product page's context), for one of
    the seller's products (the caller checked it is theirs)."""
    errors = errors or {}
    found = previews.previews_of(product)
    statuses = previews.statuses_of(product)
    return {
        "product": product,
        "entries": [
            {
                "preview": preview,
                "number": index,
                "url": reverse("digital:preview", args=[preview.key]),
                "source_label": _source_label(preview),
                "error": errors.get(preview.pk, ""),
                "is_first": index == 1,
                "is_last": index == len(found),
            }
            for index, preview in enumerate(found, start=1)
        ],
        "statuses": statuses,
        "is_pending": any(status.is_pending for status in statuses),
        "failed": sum(status.is_failed for status in statuses),
        "add_error": errors.get(ADD, ""),
        "custom_left": previews.MAX_CUSTOM_PREVIEWS - sum(preview.is_custom for preview in found),
        "max_mb": previews.PREVIEW_MAX_BYTES // (1024 * 1024),
        "notice": notice,
    }


def _section(
    request: HttpRequest,
    product: Product,
    *,
    errors: dict[int | str, str] | None = None,
    notice: str = "",
) -> HttpResponse:
    """The section alone (htmx), or the product page: redirected after a change, rendered
    with the error (422) after a refusal."""
    if _is_htmx(request):
        # 200 even when refused: htmx swaps only successful responses, and the section
        # carries the error beside the field.
        context = {"section": section_context(product, errors=errors, notice=notice)}
        return render(request, SECTION, context)
    if not errors:
        if notice:
            messages.success(request, notice)
        page = reverse("digital_studio:product", args=[product.pk])
        return HttpResponseRedirect(f"{page}#previews")
    from modules.digital.studio_pages import product_context  # the page around the section

    context = product_context(request, product.pk)
    context["section"] = section_context(product, errors=errors)
    return render(request, "digital/studio/product.html", context, status=422)


def _own_product(request: HttpRequest, product_id: int) -> Product:
    try:
        return products.catalogue_product(
            seller_id=authorised_seller(request).pk, product_id=product_id
        )
    except DomainError as error:
        raise Http404(error.message) from None


def _own_preview_product(request: HttpRequest, preview_id: int) -> Product:
    """The product of one of the seller's previews (another seller's: 404)."""
    found = Product.objects.filter(
        digital__previews__pk=preview_id, seller_id=authorised_seller(request).pk
    ).first()
    if found is None:
        raise Http404("No such preview.")
    return found


def _message(error: DomainError) -> str:
    """A refusal's message for beside the field (a preview gone meanwhile: 404)."""
    if error.kind == ErrorKind.NOT_FOUND:
        raise Http404(error.message)
    return error.message


@never_cache
@require_http_methods(["GET", "HEAD"])
def section(request: HttpRequest, product_id: int) -> HttpResponse:
    """The section alone; asked with ``waiting=1`` (its poll while a preview is being made)
    it answers 204, which htmx leaves alone, until every file's preview job is done."""
    product = _own_product(request, product_id)
    context = section_context(product)
    if request.GET.get("waiting") and context["is_pending"]:
        return HttpResponse(status=204)
    return render(request, SECTION, {"section": context})


def _upload(request: HttpRequest) -> UploadedFile[bytes] | None:
    upload = request.FILES.get("file")
    return upload if isinstance(upload, UploadedFile) else None


@require_POST
def add(request: HttpRequest, product_id: int) -> HttpResponse:
    product = _own_product(request, product_id)
    upload = _upload(request)
    if upload is None:
        return _section(request, product, errors={ADD: "Choose a picture, audio or video clip."})
    try:
        previews.add_preview(
            seller_id=authorised_seller(request).pk,
            product_id=product.pk,
            name=upload.name or "upload",
            stream=upload,
            size=upload.size or 0,
        )
    except DomainError as error:
        return _section(request, product, errors={ADD: _message(error)})
    return _section(request, product, notice="Preview added after the others.")


@require_POST
def replace(request: HttpRequest, preview_id: int) -> HttpResponse:
    product = _own_preview_product(request, preview_id)
    upload = _upload(request)
    if upload is None:
        return _section(request, product, errors={preview_id: "Choose the file to show instead."})
    try:
        previews.replace_preview(
            seller_id=authorised_seller(request).pk,
            preview_id=preview_id,
            name=upload.name or "upload",
            stream=upload,
            size=upload.size or 0,
        )
    except DomainError as error:
        return _section(request, product, errors={preview_id: _message(error)})
    return _section(request, product, notice="Preview replaced; new versions leave it alone.")


@require_POST
def remove(request: HttpRequest, preview_id: int) -> HttpResponse:
    product = _own_preview_product(request, preview_id)
    try:
        previews.remove_preview(seller_id=authorised_seller(request).pk, preview_id=preview_id)
    except DomainError as error:
        raise Http404(error.message) from None
    return _section(request, product, notice="Preview removed from the product page.")


@require_POST
def move(request: HttpRequest, preview_id: int) -> HttpResponse:
    product = _own_preview_product(request, preview_id)
    by = -1 if request.POST.get("direction") == "earlier" else 1
    try:
        previews.move_preview(seller_id=authorised_seller(request).pk, preview_id=preview_id, by=by)
    except DomainError as error:
        raise Http404(error.message) from None
    return _section(request, product, notice="Preview moved.")
