from collections.abc import Iterable

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from ninja import Schema
from pydantic import ConfigDict


class StrictSchema(Schema):
    """Input schemas reject unknown fields, so a typo is an error and not silently ignored."""

    model_config = ConfigDict(extra="forbid")


def model_max_length(model: type[models.Model], field_name: str) -> int:
    """The ``max_length`` of the column an input field is written to, so the API's limit
    (a 422 naming the field) is the database's and cannot drift from it:
    ``name: str = Field(..., max_length=model_max_length(Product, "name"))``."""
    max_length = getattr(model._meta.get_field(field_name), "max_length", None)
    if not isinstance(max_length, int):
        raise ImproperlyConfigured(f"{model.__name__}.{field_name} has no max_length")
    return max_length


def longest(choices: Iterable[str]) -> int:
    """The limit of a code a service checks against ``choices`` (with its own message naming
    the field), so no unbounded string reaches it:
    ``Annotated[str, Field(max_length=longest(TeamPermission.values))]``."""
    return max(len(choice) for choice in choices)
