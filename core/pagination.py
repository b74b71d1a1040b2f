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
        self.ordering = (
            ordering
            if ordering[-1].lstrip("-") in {"pk", "id"}
            else (*ordering, "-pk" if ordering[-1].startswith("-") else "pk")
        )
        super().__init__(**kwargs)

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        queryset = queryset.order_by(*self.ordering)
        fields = [name.lstrip("-") for name in self.ordering]
        try:
            if pagination.cursor:
                after = self._after(decode_cursor(pagination.cursor, len(fields)))
                queryset = queryset.filter(after)
            rows = list(queryset[: pagination.limit + 1])
        except (ValueError, TypeError, DjangoValidationError):
            # A cursor whose values do not fit the columns was not made by us.
            raise HttpError(400, "The cursor is not valid; start again without it.") from None
        has_more = len(rows) > pagination.limit
        rows = rows[: pagination.limit]
        next_cursor = None
        if has_more and rows:
            last = rows[-1]
            next_cursor = encode_cursor([_value(last, field) for field in fields])
        return {"items": rows, "next_cursor": next_cursor}

    def _after(self, values: list[Any]) -> Q:
        """Rows strictly after ``values`` in the ordering (lexicographic keyset)."""
        condition = Q()
        for index, name in enumerate(self.ordering):
            field = name.lstrip("-")
            lookup = "lt" if name.startswith("-") else "gt"
            step = Q(**{f"{field}__{lookup}": values[index]})
            for previous in range(index):
                step &= Q(**{self.ordering[previous].lstrip("-"): values[previous]})
            condition |= step
        return condition


def _value(row: Any, field: str) -> Any:
    return row.pk if field == "pk" else getattr(row, field)
