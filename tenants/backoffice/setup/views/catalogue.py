"""The catalogue: the category tree editor (``operator:categories``: create, rename, move,
reorder by drag and drop or with buttons) and the moderation queue
(``operator:moderation``: approve, reject with a reason, in bulk; featured products). Every
write goes through the catalogue's services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.accounts.views import operator_page, signed_in_user
from core.automod import selectors as automod
from core.catalog.models import Category, Product, ProductStatus
from core.catalog.services.categories import create_category, move_category, update_category
from core.catalog.services.moderation import approve_product, reject_product, set_featured
from core.errors import DomainError
from core.money import Money
from core.registry import get_registry
from tenants.backoffice.setup.forms import (
    CategoryForm,
    FeatureForm,
    ModerationForm,
    MoveCategoryForm,
    RenameCategoryForm,
    ReorderForm,
    show_domain_error,
)
from tenants.backoffice.setup.services.category_order import (
    place_last,
    reorder_categories,
    shift_category,
)

QUEUE_SIZE = 100
FEATURED_CANDIDATES = 30

# --- categories --------------------------------------------------------------------------------


@dataclass
class CategoryNode:
    category: Category
    children: list[CategoryNode] = field(default_factory=list)
    is_first: bool = False
    is_last: bool = False


def category_tree() -> list[CategoryNode]:
    """The whole tree in one query, children in their position order."""
    nodes = {c.pk: CategoryNode(c) for c in Category.objects.all()}
    roots: list[CategoryNode] = []
    for node in nodes.values():
        parent = nodes.get(node.category.parent_id) if node.category.parent_id else None
        (parent.children if parent else roots).append(node)

    def order(level: list[CategoryNode]) -> None:
        level.sort(key=lambda n: (n.category.position, n.category.name, n.category.pk))
        for index, node in enumerate(level):
            node.is_first, node.is_last = index == 0, index == len(level) - 1
            order(node.children)

    order(roots)
    return roots


def _categories(
    request: HttpRequest, *, form: CategoryForm | None = None, status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = {
        "tree": category_tree(),
        "form": form or CategoryForm(),
        "move_choices": CategoryForm().fields["parent"].choices,  # type: ignore[attr-defined]
    }
    return render(request, "backoffice/categories.html", context, status=status)


def _to_categories(anchor: int | None = None) -> HttpResponseRedirect:
    suffix = f"#category-{anchor}" if anchor else ""
    return HttpResponseRedirect(reverse("operator:categories") + suffix)


def _category(category_id: int) -> Category:
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise Http404("No such category.")
    return category


@require_http_methods(["GET", "POST"])
@operator_page
def categories_page(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _categories(request)
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            category = create_category(
                name=form.cleaned_data["name"], parent_id=form.cleaned_data["parent"]
            )
        except DomainError as error:
            show_domain_error(form, error, aliases={"parent_id": "parent", "slug": "name"})
        else:
            place_last(category=category)
            messages.success(request, f"Category “{category.name}” added.")
            return _to_categories(category.pk)
    return _categories(request, form=form, status=400)


@require_POST
@operator_page
def rename_category(request: HttpRequest, category_id: int) -> HttpResponse:
    category = _category(category_id)
    form = RenameCategoryForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Renaming “{category.name}”: {form.errors['name'][0]}")
        return _categories(request, status=400)
    update_category(
        category=category,
        name=form.cleaned_data["name"],
        description=category.description,
        position=category.position,
        is_active=category.is_active,
    )
    messages.success(request, f"Renamed to “{category.name}”.")
    return _to_categories(category.pk)


@require_POST
@operator_page
def move_category_view(request: HttpRequest, category_id: int) -> HttpResponse:
    category = _category(category_id)
    form = MoveCategoryForm(request.POST, category=category)
    if form.is_valid():
        try:
            move_category(category=category, parent_id=form.cleaned_data["parent"])
        except DomainError as error:
            messages.error(request, f"Moving “{category.name}”: {error.message}")
            return _categories(request, status=400)
        place_last(category=category)
        messages.success(request, f"Moved “{category.name}”.")
        return _to_categories(category.pk)
    messages.error(request, f"Moving “{category.name}”: choose a parent from the list.")
    return _categories(request, status=400)


@require_POST
@operator_page
def shift_category_view(request: HttpRequest, category_id: int, direction: str) -> HttpResponse:
    if direction not in ("up", "down"):
        raise Http404("No such direction.")
    category = _category(category_id)
    shift_category(category=category, offset=-1 if direction == "up" else 1)
    return _to_categories(category.pk)


@require_POST
@operator_page
def reorder_categories_view(request: HttpRequest) -> HttpResponse:
    """What the drag-and-drop script posts after a drop: one parent's children in order (a
    drop into another list posts a move first). Answers JSON."""
    form = ReorderForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    parent_id = form.cleaned_data["parent"]
    ordered = form.cleaned_data["order"]
    try:
        if parent_id is not None:
            _category(parent_id)
        moved = Category.objects.filter(pk__in=ordered).exclude(parent_id=parent_id)
        for category in moved:
            move_category(category=category, parent_id=parent_id)
        reorder_categories(parent_id=parent_id, ordered_ids=ordered)
    except DomainError as error:
        return JsonResponse({"errors": {"order": [{"message": error.message}]}}, status=400)
    return JsonResponse({"order": ordered})


# --- moderation --------------------------------------------------------------------------------


def _queue() -> QuerySet[Product]:
    return (
        Product.objects.filter(status=ProductStatus.IN_REVIEW)
        .select_related("seller", "category")
        .order_by("updated_at", "id")
    )


@dataclass(frozen=True)
class QueueRow:
    product: Product
    type_label: str
    prices: list[Money]
    hold: automod.HoldRow | None = None


def _queue_rows(holds: dict[int, automod.HoldRow]) -> list[QueueRow]:
    labels = {
        spec.key: spec.label for manifest in get_registry() for spec in manifest.product_types
    }
    rows = []
    for product in _queue().prefetch_related("prices")[:QUEUE_SIZE]:
        prices = [
            Money(price.amount, price.currency)
            for price in product.prices.all()
            if price.variant_id is None
        ]
        rows.append(
            QueueRow(
                product,
                labels.get(product.product_type, product.product_type),
                prices,
                holds.get(product.pk),
            )
        )
    return rows


def _featured_candidates() -> QuerySet[Product]:
    return (
        Product.objects.filter(status=ProductStatus.PUBLISHED)
        .select_related("seller")
        .order_by("-is_featured", "-published_at", "-id")
    )


def _moderation(
    request: HttpRequest, *, form: ModerationForm | None = None, status: int = 200
) -> HttpResponse:
    holds = automod.pending_holds()
    queue = _queue_rows(automod.listing_holds(holds))
    quality = automod.check_quality()
    context = {
        "automated_holds": holds,
        "check_quality": quality,
        "quality_chart": automod.quality_chart(quality),
        "queue": queue,
        "form": form or ModerationForm(product_ids=[row.product.pk for row in queue]),
        "featured": list(_featured_candidates()[:FEATURED_CANDIDATES]),
        "queue_size": QUEUE_SIZE,
    }
    return render(request, "backoffice/moderation.html", context, status=status)


def _moderation_data(request: HttpRequest) -> dict[str, Any]:
    """The bulk form's data, or that of one row's own button (``one=approve:12``)."""
    one = request.POST.get("one", "")
    if ":" in one:
        action, _, product_id = one.partition(":")
        return {
            "action": action,
            "products": [product_id],
            "reason": request.POST.get(f"reason-{product_id}", ""),
        }
    return {
        "action": request.POST.get("action", ""),
        "products": request.POST.getlist("products"),
        "reason": request.POST.get("reason", ""),
    }


@require_http_methods(["GET", "POST"])
@operator_page
def moderation_page(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _moderation(request)
    ids = list(_queue().values_list("id", flat=True)[:QUEUE_SIZE])
    data = _moderation_data(request)
    form = ModerationForm(_as_query_dict(data), product_ids=ids)
    if not form.is_valid():
        return _moderation(request, form=form, status=400)
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    done, refused = [], []
    for product in _queue().filter(pk__in=form.cleaned_data["products"]):
        try:
            if action == "approve":
                approve_product(product=product, operator=signed_in_user(request))
            else:
                reject_product(product=product, reason=reason, operator=signed_in_user(request))
        except DomainError as error:
            refused.append(f"{product.name}: {error.message}")
        else:
            done.append(product.name)
    if done:
        verb = "Approved" if action == "approve" else "Sent back"
        messages.success(request, f"{verb}: {', '.join(done)}.")
    for line in refused:
        messages.error(request, line)
    return HttpResponseRedirect(reverse("operator:moderation"))


def _as_query_dict(data: dict[str, Any]) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in data.items():
        if isinstance(value, list):
            query.setlist(key, value)
        else:
            query[key] = value
    return query


@require_POST
@operator_page
def feature_product(request: HttpRequest, product_id: int) -> HttpResponse:
    product = Product.objects.filter(pk=product_id, status=ProductStatus.PUBLISHED).first()
    if product is None:
        raise Http404("No such product.")
    form = FeatureForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose featured or not featured.")
        return _moderation(request, status=400)
    set_featured(product=product, is_featured=bool(form.cleaned_data["is_featured"]))
    state = "is featured" if product.is_featured else "is no longer featured"
    messages.success(request, f"{product.name} {state}.")
    return HttpResponseRedirect(reverse("operator:moderation") + "#featured")
