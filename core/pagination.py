"""Cursor (keyset) pagination, the same on every list endpoint: ``?limit=&cursor=`` in,
``{"items": [...], "next_cursor": "..."|null}`` out. Stable under inserts, O(limit) per page."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.pagination import PaginationBase


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != width:
        raise HttpError(400, "The cursor is not valid; start again without it.")
    return values


def full_ordering(ordering: tuple[str, ...]) -> tuple[str, ...]:
    """The ordering with ``pk`` appended as the tie-breaker (same direction as the last key)."""
    if ordering[-1].lstrip("-") in {"pk", "id"}:
        return ordering
    return (*ordering, "-pk" if ordering[-1].startswith("-") else "pk")


def keyset_after(ordering: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in ``ordering`` (lexicographic keyset)."""
    condition = Q()
    for index, name in enumerate(ordering):
        field = name.lstrip("-")
        lookup = "lt" if name.startswith("-") else "gt"
        step = Q(**{f"{field}__{lookup}": values[index]})
        for previous in range(index):
            step &= Q(**{ordering[previous].lstrip("-"): values[previous]})
        condition |= step
    return condition


def keyset_page(
    queryset: QuerySet[Any], *, ordering: tuple[str, ...], limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """One page of ``queryset`` in ``ordering`` (fields or annotations, pk last) and the cursor
    of the next page. Raises HttpError 400 on a cursor that was not made by us."""
    ordering = full_ordering(ordering)
    fields = [name.lstrip("-") for name in ordering]
    try:
        if cursor:
            queryset = queryset.filter(keyset_after(ordering, decode_cursor(cursor, len(fields))))
        rows = list(queryset.order_by(*ordering)[: limit + 1])
    except (ValueError, TypeError, DjangoValidationError):
        raise HttpError(400, "The cursor is not valid; start again without it.") from None
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more and rows:
        next_cursor = encode_cursor([_value(rows[-1], field) for field in fields])
    return rows, next_cursor


class CursorPagination(PaginationBase):
    """Keyset pagination over the queryset's ordering plus ``pk`` as the tie-breaker.
    Ordering fields must be concrete columns of the model (``-created_at``, ``name``)."""

    class Input(Schema):
        limit: int = Field(25, ge=1, le=100)
        cursor: str | None = Field(None, max_length=512)

    class Output(Schema):
        items: list[Any]
        next_cursor: str | None

    def __init__(self, *, ordering: tuple[str, ...] = ("-pk",), **kwargs: Any) -> None:
        self.ordering = full_ordering(ordering)
        super().__init__(**kwargs)

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        rows, next_cursor = keyset_page(
            queryset, ordering=self.ordering, limit=pagination.limit, cursor=pagination.cursor
        )
        return {"items": rows, "next_cursor": next_cursor}


def _value(row: Any, field: str) -> Any:
    return row.pk if field == "pk" else getattr(row, field)
