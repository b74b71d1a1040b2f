"""Ordering siblings in the category tree: positions are renumbered 0..n-1 through the
catalogue's own ``update_category`` (which also refreshes the search documents), so the
back-office adds no second way of writing categories."""

from __future__ import annotations

from django.db import transaction

from core.catalog.models import Category
from core.catalog.services.categories import update_category
from core.errors import ErrorKind
from tenants.backoffice.setup.errors import SetupError, SetupErrorCode


def siblings(parent_id: int | None) -> list[Category]:
    return sorted(
        Category.objects.filter(parent_id=parent_id), key=lambda c: (c.position, c.name, c.pk)
    )


def _renumber(ordered: list[Category]) -> None:
    for position, category in enumerate(ordered):
        if category.position != position:
            update_category(
                category=category,
                name=category.name,
                description=category.description,
                position=position,
                is_active=category.is_active,
            )


@transaction.atomic
def reorder_categories(*, parent_id: int | None, ordered_ids: list[int]) -> list[Category]:
    """Put the children of ``parent_id`` in the order given (every child, each once)."""
    current = siblings(parent_id)
    by_id = {category.pk: category for category in current}
    if sorted(ordered_ids) != sorted(by_id):
        raise SetupError(
            SetupErrorCode.INVALID_ORDER,
            "The order must list every category under that parent once; reload the page.",
            details={"field": "order"},
            kind=ErrorKind.CONFLICT,
        )
    ordered = [by_id[pk] for pk in ordered_ids]
    _renumber(ordered)
    return ordered


@transaction.atomic
def shift_category(*, category: Category, offset: int) -> list[Category]:
    """Move ``category`` up (-1) or down (+1) among its siblings; at either end, stay."""
    ordered = siblings(category.parent_id)
    index = next(i for i, c in enumerate(ordered) if c.pk == category.pk)
    target = max(0, min(len(ordered) - 1, index + offset))
    ordered.insert(target, ordered.pop(index))
    _renumber(ordered)
    return ordered


def place_last(*, category: Category) -> None:
    """After a create or a move: last among its new siblings."""
    others = [c for c in siblings(category.parent_id) if c.pk != category.pk]
    _renumber([*others, category])
