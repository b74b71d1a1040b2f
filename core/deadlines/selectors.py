"""Reads of deadlines shared by the operator API and the back-office page."""

from __future__ import annotations

from django.db.models import QuerySet

from core.deadlines.models import Deadline

# Newest due time first: support looks for what should have happened lately.
SUPPORT_ORDERING = ("-at",)


def deadlines_for_support(*, status: str | None, key_prefix: str | None) -> QuerySet[Deadline]:
    """The current tenant's deadlines, optionally one status and keys starting with a prefix
    (the key's unique index serves the prefix search)."""
    deadlines = Deadline.objects.all()
    if status:
        deadlines = deadlines.filter(status=status)
    if key_prefix:
        deadlines = deadlines.filter(key__startswith=key_prefix)
    return deadlines
