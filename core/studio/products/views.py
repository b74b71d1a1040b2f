"""The studio's products (``/studio/products/``): the list with filters, bulk actions and CSV
export/import, and the wizard (details -> pictures -> the selling module's step -> preview
and publish). Views parse, call the catalogue's services (the same ones as the seller API),
render; another seller's product is a 404."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.catalog import presenters
from core.catalog.models import Category, Product, ProductStatus
from core.catalog.selectors import with_card_data, with_detail_data
from core.catalog.services import csv_io
from core.catalog.services.bulk import RepriceMode, bulk_reprice
from core.catalog.services.images import (
    add_product_image,
    image_view,
    move_product_image,
    product_image_views,
    remove_product_image,
    reorder_product_images,
    update_product_image,
)
from core.catalog.services.products import (
    BulkOutcome,
    ProductData,
    VariantData,
    bulk_apply,
    create_product,
    transition,
    update_product,
)
from core.errors import DomainError, ErrorKind
from core.marketplace import current_marketplace
from core.money import Money
from core.registry import get_registry
from core.registry.enablement import sellable_product_types
from core.reviews.selectors import product_reviews_block
from core.sellers.auth import authorised_seller
from core.sellers.models import Seller
from core.studio.guards import studio_page
from core.studio.products.forms import (
    BulkForm,
    CsvImportForm,
    ImageAltForm,
    ImageOrderForm,
    ImageUploadForm,
    ProductFilterForm,
    ProductForm,
    TypeForm,
    product_initial,
    type_choices,
)
from core.studio.products.steps import ProductStep, step_for

PRODUCTS_PER_PAGE = 25
SECTION = "studio:products"
THUMB_SIZES = "64px"
GALLERY_IMAGE_SIZES = "(max-width: 760px) 100vw, 640px"  # as the storefront's product page
STATUS_NOTES = {
    ProductStatus.DRAFT: "Only you see it.",
    ProductStatus.IN_REVIEW: "Waiting for the marketplace's review.",
    ProductStatus.PUBLISHED: "Buyers see it.",
    ProductStatus.REJECTED: "Not visible: the marketplace asked for changes.",
    ProductStatus.ARCHIVED: "Retired; kept for past orders.",
}


def offered_types(seller: Seller) -> list[str]:
    """Types the seller was granted and a module that is on here sells, in registry order."""
    sellable = sellable_product_types()
    return [
        key for key in get_registry().product_types() if key in seller.can_sell and key in sellable
    ]


def _own(seller: Seller, product_id: int, *, detail: bool = False) -> Product:
    queryset = Product.objects.filter(seller=seller, pk=product_id)
    if detail:
        queryset = with_detail_data(queryset)
    product = queryset.select_related("category").first()
    if product is None:  # another seller's product does not exist for this one
        raise Http404("No such product")
    return product


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _show_error(form: forms.Form, error: DomainError) -> None:
    if error.kind == ErrorKind.NOT_FOUND:
        raise Http404(error.message)
    if isinstance(form, ProductForm):
        form.add_domain_error(error)
        return
    details = error.details if isinstance(error.details, dict) else {}
    field = details.get("field")
    aliases: dict[str, str] = getattr(form, "field_aliases", {})
    if isinstance(field, str):
        field = aliases.get(field, field)
    form.add_error(field if field in form.fields else None, error.message)


# --- the list --------------------------------------------------------------------------------


def _filtered(seller: Seller, values: dict[str, str]) -> QuerySet[Product]:
    mine = Product.objects.filter(seller=seller)
    status = values.get("status")
    mine = mine.filter(status=status) if status else mine.exclude(status=ProductStatus.ARCHIVED)
    if values.get("product_type"):
        mine = mine.filter(product_type=values["product_type"])
    if values.get("category"):
        category = Category.objects.filter(slug=values["category"]).first()
        mine = mine.filter(category__path__startswith=category.path) if category else mine.none()
    if values.get("q"):
        text = values["q"]
        mine = mine.filter(Q(name__icontains=text) | Q(summary__icontains=text) | Q(slug=text))
    return mine.order_by("-updated_at", "-id")


def _list_context(request: HttpRequest, seller: Seller, **extra: Any) -> dict[str, Any]:
    types = offered_types(seller)
    listed_types = sorted(set(types) | set(seller.can_sell))
    filters = ProductFilterForm(request.GET or None, types=type_choices(listed_types))
    values = filters.values()
    page = Paginator(with_card_data(_filtered(seller, values)), PRODUCTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    currency = current_marketplace().default_currency
    registry = get_registry()
    rows = []
    for product in page.object_list:
        card = presenters.card(product, currency)
        images = list(product.images.all())
        rows.append(
            {
                "product": product,
                "price": card["price"],
                "type_label": registry.product_type_label(product.product_type),
                "thumb": image_view(images[0], sizes=THUMB_SIZES) if images else None,
                "status_note": STATUS_NOTES.get(ProductStatus(product.status), ""),
            }
        )
    return {
        "seller": seller,
        "filters": filters,
        "query": urlencode(values),
        "has_filters": bool(values),
        "page": page,
        "rows": rows,
        "offered_types": type_choices(types),
        "bulk_form": extra.pop("bulk_form", None) or BulkForm(product_ids=[]),
        "currencies": current_marketplace().currencies,
        **extra,
    }


@never_cache
@studio_page(SECTION)
@require_safe
def product_list(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    return render(request, "studio/products.html", _list_context(request, seller))


def _outcome_summary(outcomes: list[BulkOutcome], names: dict[int, str]) -> dict[str, Any]:
    done = [o for o in outcomes if o.is_ok]
    failed = [
        {"name": names.get(o.product_id, f"#{o.product_id}"), "error": o.error}
        for o in outcomes
        if not o.is_ok
    ]
    return {"done": len(done), "failed": failed}


@studio_page(SECTION)
@require_POST
def product_bulk(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    posted = [int(v) for v in request.POST.getlist("product_ids") if v.isdigit()]
    owned = dict(Product.objects.filter(seller=seller, pk__in=posted).values_list("pk", "name"))
    form = BulkForm(request.POST, product_ids=list(owned))
    summary = None
    if form.is_valid():
        data = form.cleaned_data
        ids = data["product_ids"]
        try:
            if data["action"] == "reprice":
                outcomes = bulk_reprice(
                    seller=seller,
                    product_ids=ids,
                    mode=RepriceMode(data["reprice_mode"]),
                    change_bp=data.get("change_bp", 0),
                    currency=data.get("currency") or "",
                    amount=data.get("amount_minor", 0),
                )
            else:
                outcomes = bulk_apply(seller=seller, product_ids=ids, action=data["action"])
        except DomainError as error:
            _show_error(form, error)
        else:
            summary = _outcome_summary(outcomes, owned)
            if not _is_htmx(request):
                messages.success(request, f"Done for {summary['done']} product(s).")
                for failure in summary["failed"]:
                    messages.error(request, f"{failure['name']}: {failure['error']}")
                return HttpResponseRedirect(request.POST.get("next") or reverse(SECTION))
    status = 200 if form.is_valid() else 422
    if _is_htmx(request):
        # htmx swaps the list panel: refreshed rows plus what happened.
        context = _list_context(request, seller, bulk_form=form, summary=summary)
        return render(
            request, "studio/products_panel.html", context, status=status if not summary else 200
        )
    context = _list_context(request, seller, bulk_form=form)
    return render(request, "studio/products.html", context, status=status)


@studio_page(SECTION)
@require_safe
def product_export(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    response = HttpResponse(csv_io.export_products(seller=seller), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="products.csv"'
    return response


@never_cache
@studio_page(SECTION)
@require_http_methods(["GET", "POST"])
def product_import(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    form = CsvImportForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = csv_io.import_products(
                    seller=seller, content=upload.read(csv_io.MAX_BYTES + 1)
                )
            except DomainError as error:
                _show_error(form, error)
                status = 422
        else:
            status = 422
    context = {
        "seller": seller,
        "form": form,
        "report": report,
        "columns": [*csv_io.BASE_COLUMNS, "status"]
        + [f"price_{c}" for c in current_marketplace().currencies],
    }
    return render(request, "studio/products_import.html", context, status=status)


# --- the wizard ------------------------------------------------------------------------------


def wizard_steps(product: Product | None, current: str) -> list[dict[str, Any]]:
    step = step_for(product.product_type) if product else None
    names = [("details", "Details"), ("images", "Pictures")]
    if step is not None:
        names.append(("module", step.title))
    names.append(("preview", "Preview & publish"))
    urls = {
        "details": "studio:product_edit",
        "images": "studio:product_images",
        "module": "studio:product_step",
        "preview": "studio:product_preview",
    }
    keys = [key for key, _ in names]
    out = []
    for key, label in names:
        href = reverse(urls[key], args=[product.pk]) if product else ""
        out.append(
            {
                "key": key,
                "label": label,
                "href": href,
                "is_current": key == current,
                "is_done": product is not None and keys.index(key) < keys.index(current),
            }
        )
    return out


def next_step_url(product: Product, after: str) -> str:
    keys = [s["key"] for s in wizard_steps(product, after)]
    following = keys[keys.index(after) + 1]
    return str(wizard_steps(product, after)[keys.index(following)]["href"])


def _product_data(product: Product, form_data: dict[str, Any], product_type: str) -> ProductData:
    """The form's fields over what the wizard does not edit (variants, features, external
    images, location), so saving the common step keeps them."""
    variants: list[VariantData] = []
    external: list[str] = []
    features: list[str] = []
    if product.pk:
        variants = [
            VariantData(
                name=v.name,
                sku=v.sku,
                seats=v.seats,
                prices={p.currency: p.amount for p in v.prices.all()},
            )
            for v in product.variants.prefetch_related("prices")
        ]
        external = [i.url for i in product.images.filter(file="").order_by("position", "id")]
        features = list(product.features)
    return ProductData(
        name=form_data["name"],
        product_type=product_type,
        prices=form_data["prices"],
        summary=form_data.get("summary") or "",
        description=form_data.get("description") or "",
        category_slug=form_data.get("category") or None,
        trial_days=product.trial_days if product.pk else 0,
        features=features,
        tags=form_data["tag_list"],
        variants=variants,
        image_urls=external,
        latitude_e6=product.latitude_e6,
        longitude_e6=product.longitude_e6,
    )


@never_cache
@studio_page(SECTION)
@require_http_methods(["GET", "POST"])
def product_new(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    types = offered_types(seller)
    source = request.POST if request.method == "POST" else request.GET
    type_form = TypeForm(
        source if "product_type" in source else None,
        types=types,
        initial={"product_type": types[0]} if len(types) == 1 else {},
    )
    form = ProductForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if type_form.is_valid() and form.is_valid():
            product_type = type_form.cleaned_data["product_type"]
            try:
                product = create_product(
                    seller=seller, data=_product_data(Product(), form.cleaned_data, product_type)
                )
            except DomainError as error:
                _show_error(form, error)
            else:
                messages.success(request, f"Saved {product.name} as a draft.")
                return HttpResponseRedirect(reverse("studio:product_images", args=[product.pk]))
        status = 422
    context = {
        "seller": seller,
        "form": form,
        "type_form": type_form,
        "types": types,
        "steps": wizard_steps(None, "details"),
        "product": None,
    }
    return render(request, "studio/products_wizard_details.html", context, status=status)


@never_cache
@studio_page(SECTION)
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, product_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    product = _own(seller, product_id, detail=True)
    form = ProductForm(request.POST or None, initial=product_initial(product))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                update_product(
                    product=product,
                    data=_product_data(product, form.cleaned_data, product.product_type),
                )
            except DomainError as error:
                _show_error(form, error)
            else:
                messages.success(request, f"Saved {product.name}.")
                return HttpResponseRedirect(next_step_url(product, "details"))
        status = 422
    context = {
        "seller": seller,
        "form": form,
        "product": product,
        "type_label": get_registry().product_type_label(product.product_type),
        "steps": wizard_steps(product, "details"),
        "status_actions": status_actions(product),
        "status_note": STATUS_NOTES.get(ProductStatus(product.status), ""),
    }
    return render(request, "studio/products_wizard_details.html", context, status=status)


def _images_context(product: Product, **extra: Any) -> dict[str, Any]:
    views = product_image_views(product, sizes="160px")
    return {
        "product": product,
        "type_label": get_registry().product_type_label(product.product_type),
        "images": views,
        "order": ",".join(str(v.id) for v in views),
        "upload_form": extra.pop("upload_form", None) or ImageUploadForm(),
        "steps": wizard_steps(product, "images"),
        "next_url": next_step_url(product, "images"),
        **extra,
    }


def _images_answer(
    request: HttpRequest, seller: Seller, product: Product, *, status: int = 200, **extra: Any
) -> HttpResponse:
    product = _own(seller, product.pk, detail=True)
    context = {"seller": seller, **_images_context(product, **extra)}
    template = (
        "studio/products_images_panel.html"
        if _is_htmx(request)
        else "studio/products_wizard_images.html"
    )
    return render(request, template, context, status=status)


@never_cache
@studio_page(SECTION)
@require_http_methods(["GET", "POST"])
def product_images(request: HttpRequest, product_id: int) -> HttpResponse:
    """The pictures step; a POST uploads one picture (htmx answers the panel only)."""
    seller = authorised_seller(request)
    product = _own(seller, product_id, detail=True)
    if request.method == "GET":
        return _images_answer(request, seller, product)
    form = ImageUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            add_product_image(
                product=product, upload=form.cleaned_data["image"], alt=form.cleaned_data["alt"]
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            if not _is_htmx(request):
                messages.success(request, "Picture added.")
                return HttpResponseRedirect(reverse("studio:product_images", args=[product.pk]))
            return _images_answer(request, seller, product, announce="Picture added.")
    return _images_answer(request, seller, product, status=422, upload_form=form)


@studio_page(SECTION)
@require_POST
def product_image_action(
    request: HttpRequest, product_id: int, image_id: int, action: str
) -> HttpResponse:
    """``up``, ``down``, ``alt`` (save the alt text) or ``remove`` one picture."""
    seller = authorised_seller(request)
    product = _own(seller, product_id)
    announce = ""
    try:
        if action in ("up", "down"):
            move_product_image(
                product=product, image_id=image_id, offset=-1 if action == "up" else 1
            )
            announce = f"Moved {action}."
        elif action == "remove":
            remove_product_image(product=product, image_id=image_id)
            announce = "Picture removed."
        elif action == "alt":
            alt_form = ImageAltForm(request.POST)
            alt = alt_form.cleaned_data["alt"] if alt_form.is_valid() else ""
            if not alt_form.is_valid():
                messages.error(request, "Alt text is at most 200 characters.")
            else:
                update_product_image(product=product, image_id=image_id, alt=alt)
                announce = "Alt text saved."
        else:
            raise Http404("No such action")
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        messages.error(request, error.message)
    if _is_htmx(request):
        return _images_answer(request, seller, product, announce=announce)
    if announce:
        messages.success(request, announce)
    return HttpResponseRedirect(reverse("studio:product_images", args=[product.pk]))


@studio_page(SECTION)
@require_POST
def product_images_order(request: HttpRequest, product_id: int) -> HttpResponse:
    """The drag-and-drop order (``order=3,1,2``), sent by studio-products.js."""
    seller = authorised_seller(request)
    product = _own(seller, product_id)
    form = ImageOrderForm(request.POST)
    status = 200
    announce = "Order saved."
    try:
        if not form.is_valid():
            raise Http404("No order")
        reorder_product_images(product=product, ordered_ids=form.ids())
    except DomainError as error:
        status, announce = 422, error.message
    if _is_htmx(request):
        return _images_answer(request, seller, product, status=status, announce=announce)
    (messages.success if status == 200 else messages.error)(request, announce)
    return HttpResponseRedirect(reverse("studio:product_images", args=[product.pk]))


def _module_step(product: Product) -> ProductStep:
    step = step_for(product.product_type)
    if step is None:
        raise Http404("This product type has no extra step")
    return step


@never_cache
@studio_page(SECTION)
@require_http_methods(["GET", "POST"])
def product_step(request: HttpRequest, product_id: int) -> HttpResponse:
    """The step of the module that sells the product's type (licences for software)."""
    seller = authorised_seller(request)
    product = _own(seller, product_id)
    step = _module_step(product)
    form_class = step.form_class(product)
    form = form_class(request.POST or None, initial=step.initial(product))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():
                    step.save(product, form.cleaned_data)
            except DomainError as error:
                _show_error(form, error)
            else:
                messages.success(request, f"Saved {step.title.lower()}.")
                return HttpResponseRedirect(next_step_url(product, "module"))
        status = 422
    context = {
        "seller": seller,
        "product": product,
        "form": form,
        "step": step,
        "step_template": step.template or "studio/products_step_fields.html",
        "type_label": get_registry().product_type_label(product.product_type),
        "steps": wizard_steps(product, "module"),
    }
    return render(request, "studio/products_wizard_step.html", context, status=status)


def _preview_context(request: HttpRequest, seller: Seller, product: Product) -> dict[str, Any]:
    currency = current_marketplace().default_currency
    detail = presenters.detail(product, currency)
    # The storefront's own presentation of pictures (its gallery's sizes).
    views = product_image_views(product, sizes=GALLERY_IMAGE_SIZES)
    detail["images"] = [{"url": v.src, "alt": v.alt} for v in views]
    missing = []
    if not views:
        missing.append("a picture")
    if not product.summary:
        missing.append("a summary")
    step = step_for(product.product_type)
    return {
        "seller": product.seller,
        "studio_seller": seller,
        "product": detail,
        "product_row": product,
        "images": views,
        "og_image": "",
        "reviews": product_reviews_block(product),
        "category": product.category,
        "type_label": get_registry().product_type_label(product.product_type),
        "canonical_url": request.build_absolute_uri(f"/p/{product.slug}/"),
        "ld_json": "{}",
        "is_preview": True,
        "steps": wizard_steps(product, "preview"),
        "step": step,
        "missing": missing,
        "can_publish": product.status in (ProductStatus.DRAFT, ProductStatus.REJECTED),
        "status_note": STATUS_NOTES.get(ProductStatus(product.status), ""),
        "prices": [
            str(Money(p.amount, p.currency)) for p in product.prices.all() if p.variant_id is None
        ],
    }


@never_cache
@studio_page(SECTION)
@require_safe
def product_preview(request: HttpRequest, product_id: int) -> HttpResponse:
    """The storefront's own product template, over the draft, under a publish bar."""
    seller = authorised_seller(request)
    product = _own(seller, product_id, detail=True)
    return render(
        request, "studio/products_preview.html", _preview_context(request, seller, product)
    )


STATUS_ACTIONS = {
    # action: (from these statuses, button label, what the seller is told)
    "unpublish": (
        {ProductStatus.PUBLISHED, ProductStatus.IN_REVIEW},
        "Unpublish (back to draft)",
        "{name} is a draft again; buyers no longer see it.",
    ),
    "archive": (
        {
            ProductStatus.DRAFT,
            ProductStatus.PUBLISHED,
            ProductStatus.REJECTED,
            ProductStatus.IN_REVIEW,
        },
        "Archive",
        "{name} is archived.",
    ),
}


def status_actions(product: Product) -> list[dict[str, str]]:
    """The status moves the wizard offers besides publishing (which is on the preview)."""
    return [
        {"action": action, "label": label}
        for action, (allowed, label, _) in STATUS_ACTIONS.items()
        if product.status in allowed
    ]


@studio_page(SECTION)
@require_POST
def product_status(request: HttpRequest, product_id: int, action: str) -> HttpResponse:
    """Unpublish or archive from the wizard (``transition``, as the API and bulk actions)."""
    seller = authorised_seller(request)
    product = _own(seller, product_id)
    if action not in STATUS_ACTIONS:
        raise Http404("No such action")
    try:
        transition(product=product, action=action)
    except DomainError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(reverse("studio:product_edit", args=[product.pk]))
    messages.success(request, STATUS_ACTIONS[action][2].format(name=product.name))
    return HttpResponseRedirect(reverse(SECTION))


@studio_page(SECTION)
@require_POST
def product_publish(request: HttpRequest, product_id: int) -> HttpResponse:
    """Publishing sends the product to the marketplace's review (``transition("publish")``)."""
    seller = authorised_seller(request)
    product = _own(seller, product_id)
    try:
        transition(product=product, action="publish")
    except DomainError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(reverse("studio:product_preview", args=[product.pk]))
    messages.success(
        request,
        f"{product.name} is waiting for the marketplace's review; "
        "you get an e-mail when it is live.",
    )
    return HttpResponseRedirect(reverse(SECTION))
