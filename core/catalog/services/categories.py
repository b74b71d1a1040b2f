"""The category tree, managed by operators."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from core.accounts.validation import clean_name
from core.catalog.errors import CatalogError, CatalogErrorCode
from core.catalog.models import Category, Product
from core.catalog.search_index import refresh_search_vectors
from core.catalog.services.products import products_changed
from core.errors import ErrorKind

MAX_DEPTH = 5


def _parent(parent_id: int | None) -> Category | None:
    if parent_id is None:
        return None
    parent = Category.objects.filter(pk=parent_id).first()
    if parent is None:
        raise CatalogError(
            CatalogErrorCode.CATEGORY_NOT_FOUND,
            "The parent category does not exist.",
            details={"field": "parent_id"},
            kind=ErrorKind.INVALID,
        )
    return parent


def _place(category: Category, parent: Category | None) -> None:
    if parent is not None and parent.depth + 1 >= MAX_DEPTH:
        raise CatalogError(
            CatalogErrorCode.INVALID_CATEGORY,
            f"Categories nest at most {MAX_DEPTH} levels deep.",
            details={"field": "parent_id"},
            kind=ErrorKind.INVALID,
        )
    category.parent = parent
    category.depth = 0 if parent is None else parent.depth + 1


def create_category(
    *,
    name: str,
    parent_id: int | None = None,
    slug: str = "",
    description: str = "",
    position: int = 0,
) -> Category:
    name = clean_name(name, field="name")
    if not name:
        raise CatalogError(
            CatalogErrorCode.INVALID_CATEGORY,
            "Name the category.",
            details={"field": "name"},
            kind=ErrorKind.INVALID,
        )
    slug = slugify(slug or name)[:80]
    if not slug:
        raise CatalogError(
            CatalogErrorCode.INVALID_CATEGORY,
            "The category needs a slug of letters or digits.",
            details={"field": "slug"},
            kind=ErrorKind.INVALID,
        )
    category = Category(name=name, slug=slug, description=description.strip(), position=position)
    _place(category, _parent(parent_id))
    try:
        with transaction.atomic():
            category.save()
            category.path = f"{category.parent.path if category.parent else '/'}{category.pk}/"
            category.save(update_fields=["path"])
    except IntegrityError:
        raise CatalogError(
            CatalogErrorCode.INVALID_CATEGORY,
            f"The slug '{slug}' is taken.",
            details={"field": "slug"},
            kind=ErrorKind.CONFLICT,
        ) from None
    return category


@transaction.atomic
def move_category(*, category: Category, parent_id: int | None) -> Category:
    parent = _parent(parent_id)
    if parent is not None and parent.path.startswith(category.path):
        raise CatalogError(
            CatalogErrorCode.INVALID_CATEGORY,
            "A category cannot move under itself.",
            details={"field": "parent_id"},
            kind=ErrorKind.INVALID,
        )
    old_path, old_depth = category.path, category.depth
    _place(category, parent)
    category.path = f"{parent.path if parent else '/'}{category.pk}/"
    category.save(update_fields=["parent", "depth", "path"])
    for descendant in Category.objects.filter(path__startswith=old_path).exclude(pk=category.pk):
        descendant.path = category.path + descendant.path[len(old_path) :]
        descendant.depth = descendant.depth - old_depth + category.depth
        if descendant.depth >= MAX_DEPTH:
            raise CatalogError(
                CatalogErrorCode.INVALID_CATEGORY,
                "That move would nest categories too deep.",
                details={"field": "parent_id"},
                kind=ErrorKind.INVALID,
            )
        descendant.save(update_fields=["path", "depth"])
    _reindex_subtree(category)
    return category


def update_category(
    *, category: Category, name: str, description: str, position: int, is_active: bool
) -> Category:
    category.name = clean_name(name, field="name") or category.name
    category.description = description.strip()
    category.position = position
    category.is_active = is_active
    category.save(update_fields=["name", "description", "position", "is_active"])
    _reindex_subtree(category)
    return category


def _reindex_subtree(category: Category) -> None:
    """Category names and ancestry are part of every product's search document."""
    ids = list(
        Product.objects.filter(category__path__startswith=category.path).values_list(
            "id", flat=True
        )
    )
    if ids:
        refresh_search_vectors(ids)
        products_changed(ids)


def delete_category(*, category: Category) -> None:
    if category.children.exists() or category.products.exists():
        raise CatalogError(
            CatalogErrorCode.CATEGORY_IN_USE,
            "Move its products and subcategories first.",
            kind=ErrorKind.CONFLICT,
        )
    category.delete()
