"""The seller's digital goods in the studio, mounted at ``/studio/digital/`` behind the
manifest's permissions (so these views only read the seller): their digital products (a
file whose preview failed is flagged); one product with its terms form, its files and
versions (a new version with its changelog over htmx, errors beside the field), its
previews (``studio_previews``), download stats (a chart of the last 30 days, counts per
version, the log); and "Who leaked this?" (upload a PDF, see the order and buyer). Every
change goes through the same services as the API; another seller's product or file is 404."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.charts import Chart, Series
from core.errors import DomainError, ErrorKind
from core.sellers.auth import authorised_seller
from modules.digital import studio_previews
from modules.digital.api_seller import leak_dict
from modules.digital.errors import invalid
from modules.digital.models import (
    DigitalFile,
    DigitalProduct,
    FileVersion,
    LicenceKind,
    PreviewStatus,
    StampCorner,
)
from modules.digital.services import products, stamping, stats

TERMS_FIELDS = (
    "licence_kind",
    "licence_text",
    "download_limit",
    "update_months",
    "stamp_corner",
)
TERMS_FLAGS = (
    "notify_updates",
    "allow_limit_reset",
    "stamp_pdfs",
    "watermark_images",
    "protect_pdfs",
)


def _not_found(error: DomainError) -> Http404:
    return Http404(error.message)


def _field(error: DomainError) -> str:
    details = error.details if isinstance(error.details, dict) else {}
    return str(details.get("field") or "general")


@never_cache
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    rows = products.sellers_digital_products(seller.pk)
    terms = {
        row.product_id: row
        for row in DigitalProduct.objects.filter(product__in=rows).prefetch_related("files")
    }
    latest = FileVersion.objects.filter(file=OuterRef("pk")).order_by("-number")
    failed = Counter(
        DigitalFile.objects.filter(product__product__in=rows, removed_at__isnull=True)
        .annotate(preview_status=Subquery(latest.values("preview_status")[:1]))
        .filter(preview_status=PreviewStatus.FAILED)
        .values_list("product__product_id", flat=True)
    )
    listed = []
    for row in rows:
        found = terms.get(row.pk)
        files = [f for f in found.files.all() if f.removed_at is None] if found else []
        listed.append(
            {
                "product": row,
                "files": len(files),
                "has_terms": found is not None,
                "failed_previews": failed[row.pk],
            }
        )
    return render(request, "digital/studio/home.html", {"seller": seller, "rows": listed})


def _files(terms: DigitalProduct | None) -> list[DigitalFile]:
    if terms is None:
        return []
    return list(terms.files.filter(removed_at__isnull=True).prefetch_related("versions"))


def _chart(found: stats.Stats) -> Chart:
    return Chart(
        id="digital-downloads",
        title="Downloads per day",
        kind="bar",
        labels=[day.day.strftime("%d %b") for day in found.per_day],
        series=[Series("Downloads", [day.downloads for day in found.per_day])],
        description="Downloads handed out each day (UTC), the last 30 days.",
        empty_message="No downloads in the last 30 days.",
    )


def product_context(
    request: HttpRequest, product_id: int, *, terms_form: dict[str, Any] | None = None
) -> dict[str, Any]:
    seller = authorised_seller(request)
    try:
        product = products.catalogue_product(seller_id=seller.pk, product_id=product_id)
        before = request.GET.get("before")
        log = stats.download_log(
            seller_id=seller.pk,
            product_id=product_id,
            before=int(before) if before and before.isdigit() else None,
        )
        found = stats.product_stats(seller_id=seller.pk, product_id=product_id)
    except DomainError as error:
        raise _not_found(error) from None
    terms = DigitalProduct.objects.filter(product=product).first()
    shown = terms or DigitalProduct(product=product)
    return {
        "seller": seller,
        "product": product,
        "terms": shown,
        "form": terms_form or _terms_form(shown),
        "terms_errors": {},
        "files": [{"file": row, "errors": {}, "form": {}} for row in _files(terms)],
        "stats": found,
        "chart": _chart(found),
        "log": log,
        "licence_kinds": LicenceKind.choices,
        "corners": StampCorner.choices,
        "add_errors": {},
        "add_form": {},
        "section": studio_previews.section_context(product),
    }


def _terms_form(terms: DigitalProduct) -> dict[str, Any]:
    return {
        "licence_kind": terms.licence_kind,
        "licence_text": terms.licence_text,
        "download_limit": "" if terms.download_limit is None else str(terms.download_limit),
        "update_months": "" if terms.update_months is None else str(terms.update_months),
        "stamp_corner": terms.stamp_corner,
        **{flag: getattr(terms, flag) for flag in TERMS_FLAGS},
    }


@never_cache
@require_http_methods(["GET", "HEAD"])
def product(request: HttpRequest, product_id: int) -> HttpResponse:
    return render(request, "digital/studio/product.html", product_context(request, product_id))


def _whole_number(value: str, field: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise invalid(products.TERMS_ERROR, field, "Give a whole number.")
    return int(value)


@require_POST
def save_terms(request: HttpRequest, product_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    form: dict[str, Any] = {name: request.POST.get(name, "") for name in TERMS_FIELDS}
    form.update({flag: request.POST.get(flag) == "on" for flag in TERMS_FLAGS})
    try:
        data = products.TermsData(
            licence_kind=form["licence_kind"],
            licence_text=form["licence_text"],
            download_limit=_whole_number(form["download_limit"], "download_limit"),
            update_months=_whole_number(form["update_months"], "update_months"),
            stamp_corner=form["stamp_corner"],
            **{flag: form[flag] for flag in TERMS_FLAGS},
        )
        products.set_terms(seller_id=seller.pk, product_id=product_id, data=data)
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise _not_found(error) from None
        context = product_context(request, product_id, terms_form=form)
        context["terms_errors"] = {_field(error): error.message}
        return render(request, "digital/studio/product.html", context, status=422)
    messages.success(request, "Terms saved. Buyers keep the terms they bought under.")
    return HttpResponseRedirect(reverse("digital_studio:product", args=[product_id]))


@require_POST
def add_file(request: HttpRequest, product_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    form = {
        "title": request.POST.get("title", ""),
        "external_url": request.POST.get("external_url", ""),
    }
    try:
        products.add_file(seller_id=seller.pk, product_id=product_id, **form)
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise _not_found(error) from None
        context = product_context(request, product_id)
        context.update(add_errors={_field(error): error.message}, add_form=form)
        return render(request, "digital/studio/product.html", context, status=422)
    messages.success(request, f"Added {form['title'].strip()}.")
    return HttpResponseRedirect(reverse("digital_studio:product", args=[product_id]))


@require_POST
def upload_version(request: HttpRequest, file_id: int) -> HttpResponse:
    """A new version of a file; over htmx the file's card comes back (errors beside the
    field), otherwise the product page."""
    seller = authorised_seller(request)
    try:
        found = products.sellers_file(seller_id=seller.pk, file_id=file_id)
    except DomainError as error:
        raise _not_found(error) from None
    product_id = found.product.product_id
    changelog = request.POST.get("changelog", "")
    upload = request.FILES.get("file")
    errors: dict[str, str] = {}
    status = 200
    if upload is None:
        errors = {"file": "Choose the file to upload."}
    else:
        try:
            version = products.upload_version(
                file_id=file_id,
                seller_id=seller.pk,
                name=upload.name or "upload",
                stream=upload,
                size=upload.size or 0,
                changelog=changelog,
            )
        except DomainError as error:
            if error.kind == ErrorKind.NOT_FOUND:
                raise _not_found(error) from None
            errors = {_field(error): error.message}
        else:
            changelog = ""
            if not request.headers.get("HX-Request"):
                messages.success(request, f"Version {version.number} published.")
                return HttpResponseRedirect(reverse("digital_studio:product", args=[product_id]))
    if errors:
        status = 422
    if request.headers.get("HX-Request"):
        fresh = DigitalFile.objects.prefetch_related("versions").get(pk=file_id)
        entry = {"file": fresh, "errors": errors, "form": {"changelog": changelog}}
        # 200 even when refused: htmx swaps only successful responses, and the card carries
        # the error beside the field.
        response = render(
            request, "digital/studio/_file.html", {"entry": entry, "just_published": not errors}
        )
        if not errors:  # the previews section reloads: the new version's preview is pending
            response["HX-Trigger"] = "dg-version-published"
        return response
    context = product_context(request, product_id)
    for entry in context["files"]:
        if entry["file"].pk == file_id:
            entry.update(errors=errors, form={"changelog": changelog})
    return render(request, "digital/studio/product.html", context, status=status)


@require_POST
def remove_file(request: HttpRequest, file_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    try:
        removed = products.remove_file(seller_id=seller.pk, file_id=file_id)
    except DomainError as error:
        raise _not_found(error) from None
    messages.success(request, f"{removed.title} is no longer offered.")
    return HttpResponseRedirect(
        reverse("digital_studio:product", args=[removed.product.product_id])
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def leaks(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    context: dict[str, Any] = {"seller": seller, "result": None, "error": ""}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = "Choose the PDF you found."
            status = 422
        else:
            context["result"] = leak_dict(stamping.who_leaked(seller_id=seller.pk, upload=upload))
    return render(request, "digital/studio/leaks.html", context, status=status)
