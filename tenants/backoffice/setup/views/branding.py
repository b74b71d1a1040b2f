"""Branding and theme (``operator:branding``): name, tagline, colours, font and theme with a
live preview of the unsaved values, logo and favicon uploads, a custom domain request, and
the legal pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.accounts.views import operator_page
from core.errors import DomainError
from tenants.backoffice.models import LegalPage, LegalPageKind
from tenants.backoffice.setup.contrast import contrast_warnings
from tenants.backoffice.setup.forms import (
    COLOUR_FIELDS,
    LEGAL_KINDS,
    BrandImageForm,
    BrandingForm,
    DomainRequestForm,
    LegalPageForm,
    TimeZoneForm,
    show_domain_error,
)
from tenants.backoffice.setup.services.legal_pages import write_legal_page
from tenants.models import FONT_STACKS, Branding, Domain, Font, Tenant
from tenants.services.branding import update_branding
from tenants.services.branding_assets import (
    RULES,
    BrandImageKind,
    remove_brand_image,
    request_custom_domain,
    store_brand_image,
)
from tenants.services.locale import set_time_zone
from tenants.validation import subdomain_for

BRANDING_FIELDS = ("display_name", "tagline", "theme", "font", *COLOUR_FIELDS)


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def _branding(tenant: Tenant) -> Branding:
    return Branding.objects.get(tenant=tenant)


def _initial(branding: Branding) -> dict[str, Any]:
    return {name: getattr(branding, name) for name in BRANDING_FIELDS}


def _preview(values: dict[str, Any]) -> dict[str, Any]:
    """What the preview partial draws: only validated values reach its inline style."""
    return {
        **values,
        "font_stack": FONT_STACKS.get(values["font"], FONT_STACKS[Font.SYSTEM]),
        "warnings": contrast_warnings(values),
    }


def _page(
    request: HttpRequest,
    *,
    form: BrandingForm | None = None,
    logo_form: BrandImageForm | None = None,
    favicon_form: BrandImageForm | None = None,
    domain_form: DomainRequestForm | None = None,
    zone_form: TimeZoneForm | None = None,
    status: int = 200,
) -> HttpResponse:
    tenant = _tenant(request)
    branding = _branding(tenant)
    initial = _initial(branding)
    shown = dict(initial)
    if form is not None and form.is_bound and form.is_valid():
        shown = {name: form.cleaned_data[name] for name in BRANDING_FIELDS}
    context = {
        "form": form or BrandingForm(initial=initial),
        "branding": branding,
        "preview": _preview(shown),
        "logo_form": logo_form or BrandImageForm(prefix="logo"),
        "favicon_form": favicon_form or BrandImageForm(prefix="favicon"),
        "domain_form": domain_form or DomainRequestForm(),
        "zone_form": zone_form or TimeZoneForm(initial={"time_zone": tenant.time_zone}),
        "time_zone": tenant.time_zone,
        "domains": Domain.objects.filter(tenant=tenant).order_by("-is_primary", "domain"),
        "cname_target": subdomain_for(tenant.slug),
        "is_requested_domain_live": Domain.objects.filter(
            domain=branding.requested_domain, tenant=tenant
        ).exists()
        if branding.requested_domain
        else False,
        "legal_pages": _legal_overview(),
        "logo_rules": RULES[BrandImageKind.LOGO],
        "favicon_rules": RULES[BrandImageKind.FAVICON],
    }
    return render(request, "backoffice/branding.html", context, status=status)


def _legal_overview() -> list[dict[str, Any]]:
    written = {page.kind: page for page in LegalPage.objects.all()}
    return [
        {"kind": kind.value, "label": kind.label, "page": written.get(kind.value)}
        for kind in LegalPageKind
    ]


def _back() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("operator:branding"))


@require_http_methods(["GET", "POST"])
@operator_page
def branding_page(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    form = BrandingForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    try:
        update_branding(
            tenant=_tenant(request),
            changes={name: form.cleaned_data[name] for name in BRANDING_FIELDS},
        )
    except DomainError as error:
        show_domain_error(form, error)
        return _page(request, form=form, status=400)
    messages.success(request, "Branding saved: the storefront shows it now.")
    return _back()


@require_POST
@operator_page
def branding_preview(request: HttpRequest) -> HttpResponse:
    """The preview drawn with the form's unsaved values (htmx swaps it in as people type);
    values that do not validate fall back to the saved ones."""
    branding = _branding(_tenant(request))
    values = _initial(branding)
    form = BrandingForm(request.POST)
    form.is_valid()
    for name in BRANDING_FIELDS:
        if name in form.cleaned_data:
            values[name] = form.cleaned_data[name]
    context = {"preview": _preview(values), "branding": branding}
    return render(request, "backoffice/branding_preview.html", context)


@require_POST
@operator_page
def upload_brand_image(request: HttpRequest, kind: str) -> HttpResponse:
    image_kind = _image_kind(kind)
    form = BrandImageForm(request.POST, request.FILES, prefix=kind)
    if form.is_valid():
        upload = form.cleaned_data["image"]
        try:
            store_brand_image(
                tenant=_tenant(request), kind=image_kind, upload=upload, size=upload.size
            )
        except DomainError as error:
            form.add_error("image", error.message)
    if not form.is_valid():
        forms = {f"{kind}_form": form}
        return _page(request, status=400, **forms)  # type: ignore[arg-type]
    messages.success(request, f"{image_kind.value.capitalize()} uploaded.")
    return _back()


@require_POST
@operator_page
def remove_brand_image_view(request: HttpRequest, kind: str) -> HttpResponse:
    image_kind = _image_kind(kind)
    remove_brand_image(tenant=_tenant(request), kind=image_kind)
    messages.success(request, f"{image_kind.value.capitalize()} removed.")
    return _back()


def _image_kind(kind: str) -> BrandImageKind:
    try:
        return BrandImageKind(kind)
    except ValueError:
        raise Http404("No such image.") from None


@require_POST
@operator_page
def request_domain(request: HttpRequest) -> HttpResponse:
    form = DomainRequestForm(request.POST)
    if form.is_valid():
        try:
            request_custom_domain(
                tenant=_tenant(request),
                domain=form.cleaned_data["domain"],
                requested_by=request.user.email,  # type: ignore[union-attr]
            )
        except DomainError as error:
            show_domain_error(form, error)
    if not form.is_valid():
        return _page(request, domain_form=form, status=400)
    messages.success(
        request, "Domain requested: the platform team switches it on once it points here."
    )
    return _back()


@require_POST
@operator_page
def time_zone_view(request: HttpRequest) -> HttpResponse:
    form = TimeZoneForm(request.POST)
    if form.is_valid():
        try:
            set_time_zone(tenant=_tenant(request), name=form.cleaned_data["time_zone"])
        except DomainError as error:
            show_domain_error(form, error)
    if not form.is_valid():
        return _page(request, zone_form=form, status=400)
    messages.success(
        request,
        f"Time zone saved: days on the marketplace follow {form.cleaned_data['time_zone']}.",
    )
    return HttpResponseRedirect(reverse("operator:branding") + "#time-zone")


@require_http_methods(["GET", "POST"])
@operator_page
def legal_page_editor(request: HttpRequest, kind: str) -> HttpResponse:
    page_kind = LEGAL_KINDS.get(kind)
    if page_kind is None:
        raise Http404("No such page.")
    page = LegalPage.objects.filter(kind=page_kind).first()
    if request.method == "POST":
        form = LegalPageForm(request.POST)
        if form.is_valid():
            try:
                saved = write_legal_page(kind=page_kind, body_html=form.cleaned_data["body_html"])
            except DomainError as error:
                show_domain_error(form, error)
            else:
                messages.success(
                    request,
                    f"{page_kind.label} saved." if saved else f"{page_kind.label} taken down.",
                )
                return _back()
        status = 400
    else:
        form = LegalPageForm(initial={"body_html": page.body_html if page else ""})
        status = 200
    context = {"form": form, "kind": page_kind, "page": page, "public_url": _public_url(page_kind)}
    return render(request, "backoffice/branding_legal.html", context, status=status)


def _public_url(kind: LegalPageKind) -> str:
    try:
        return reverse("legal_page", args=[kind.value])
    except NoReverseMatch:  # core/urls.py mounts tenants.backoffice.setup.public_urls
        return ""
