"""A digital product on the storefront's product page (``/p/<slug>/``): its previews (images,
audio and video players), what the buyer gets (files with their sizes and versions, external
links named but never revealed), the licence and the update window. The buy box stays the
page's default add-to-cart form.

Previews are public: ``preview`` serves one by its key to anyone, from this marketplace's
schema only (another marketplace's key is not found), cached for a year (a replaced preview
gets a new key)."""

from __future__ import annotations

from typing import Any

from django.db.models import Max, OuterRef, Subquery
from django.http import FileResponse, Http404, HttpRequest
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET

from core.registry.panels import ProductPanel
from modules.digital.models import DigitalFile, DigitalProduct, FileVersion, Preview

PREVIEW_CACHE = "public, max-age=31536000, immutable"


def _updates_line(months: int | None) -> str:
    if months is None:
        return "Every future update included"
    if months == 0:
        return "No updates included: you get the version of the day you buy"
    if months % 12 == 0:
        years = months // 12
        return f"Updates for {years * 12} months" if years == 1 else f"Updates for {years} years"
    return f"Updates for {months} month{'s' if months != 1 else ''}"


def _file_rows(terms: DigitalProduct) -> list[dict[str, Any]]:
    latest = FileVersion.objects.filter(file=OuterRef("pk")).order_by("-number")
    files = (
        DigitalFile.objects.filter(product=terms, removed_at__isnull=True)
        .annotate(
            latest_number=Max("versions__number"),
            latest_size=Subquery(latest.values("size")[:1]),
        )
        .order_by("position", "id")
    )
    rows = []
    for digital_file in files:
        if digital_file.external_url:
            rows.append({"title": digital_file.title, "is_link": True})
        elif digital_file.latest_number:
            rows.append(
                {
                    "title": digital_file.title,
                    "is_link": False,
                    "size": filesizeformat(digital_file.latest_size),
                    "version": digital_file.latest_number,
                }
            )
    return rows


def panel(request: HttpRequest, product: Any) -> ProductPanel | None:
    """The sections of a product with digital terms (None without them). Three queries:
    terms, previews, files with their latest version."""
    terms = DigitalProduct.objects.filter(product_id=product.pk).first()
    if terms is None:
        return None
    previews = [
        {
            "kind": preview.kind,
            "url": reverse("digital:preview", kwargs={"key": preview.key}),
            "content_type": preview.content_type,
            "width": preview.width,
            "height": preview.height,
        }
        for preview in Preview.objects.filter(product=terms)
    ]
    context = {
        "product": product,
        "terms": terms,
        "previews": previews,
        "images": [row for row in previews if row["kind"] == "image"],
        "clips": [row for row in previews if row["kind"] != "image"],
        "files": _file_rows(terms),
        "licence_label": terms.get_licence_kind_display(),
        "updates_line": _updates_line(terms.update_months),
    }
    return ProductPanel(
        buy_box=None,
        sections=render_to_string("digital/panel.html", context, request=request),
    )


@require_GET
def preview(request: HttpRequest, key: str) -> FileResponse:
    """One public preview of this marketplace (no sign-in), cached for a year."""
    found = Preview.objects.filter(key=key).first()
    if found is None:
        raise Http404("No such preview")
    try:
        stream = found.content.open("rb")
    except FileNotFoundError:
        raise Http404("No such preview") from None
    response = FileResponse(stream, content_type=found.content_type)
    response["Cache-Control"] = PREVIEW_CACHE
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
