"""A Django form made from a module's pydantic settings model (``manifest.settings_model``):
each field becomes the form field its type calls for, with the model's constraints (bounds,
lengths, patterns, choices), so the page answers bad input field by field before anything is
saved; the model itself then validates the whole set again (cross-field rules, enums) and
its errors land on the fields they name.

Mapped: ``bool``, ``int``, ``float``, ``str``, ``Literal[...]``, ``Enum`` subclasses and
``X | None`` of those. Anything else (lists, nested models) is edited as JSON."""

from __future__ import annotations

import enum
import types
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from django import forms
from django.core.validators import RegexValidator
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """``(X, True)`` for ``X | None``; ``(annotation, False)`` otherwise."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1 and len(get_args(annotation)) == 2:
            return members[0], True
    return annotation, False


def _bounds(info: FieldInfo) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            found["min_value"] = item.ge
        elif isinstance(item, annotated_types.Gt):
            found["gt"] = item.gt
        elif isinstance(item, annotated_types.Le):
            found["max_value"] = item.le
        elif isinstance(item, annotated_types.Lt):
            found["lt"] = item.lt
        elif isinstance(item, annotated_types.MinLen):
            found["min_length"] = item.min_length
        elif isinstance(item, annotated_types.MaxLen):
            found["max_length"] = item.max_length
        elif isinstance(item, annotated_types.MultipleOf):
            found["step_size"] = item.multiple_of
        elif getattr(item, "pattern", None):
            found["pattern"] = item.pattern
    return found


def _label(name: str, info: FieldInfo) -> str:
    return info.title or name.replace("_", " ").capitalize()


def _choices(annotation: Any) -> dict[str, tuple[Any, str]] | None:
    """Choice key (as posted) -> (the value pydantic gets, the label people see)."""
    if get_origin(annotation) is Literal:
        return {str(value): (value, str(value)) for value in get_args(annotation)}
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return {
            str(member.value): (member.value, str(getattr(member, "label", member.value)))
            for member in annotation
        }
    return None


def form_field(name: str, info: FieldInfo) -> forms.Field:
    """The form field for one settings field (its value is handed to pydantic as typed)."""
    annotation, is_optional = _unwrap_optional(info.annotation)
    bounds = _bounds(info)
    common: dict[str, Any] = {
        "label": _label(name, info),
        "help_text": info.description or "",
        # The form always shows a value (the default at worst): only ``X | None`` may be empty.
        "required": not is_optional,
    }
    choices = _choices(annotation)
    if choices is not None:
        options = [(key, label) for key, (_, label) in choices.items()]
        return forms.TypedChoiceField(
            choices=[("", "—"), *options] if is_optional else options,
            coerce=lambda key: choices[key][0],
            empty_value=None,
            **common,
        )
    if annotation is bool:
        return forms.BooleanField(**{**common, "required": False})
    if annotation in (int, float):
        numeric: dict[str, Any] = {
            key: bounds[key] for key in ("min_value", "max_value", "step_size") if key in bounds
        }
        if annotation is int:
            # Strict bounds on integers are the next integer in.
            if "gt" in bounds:
                numeric["min_value"] = int(bounds["gt"]) + 1
            if "lt" in bounds:
                numeric["max_value"] = int(bounds["lt"]) - 1
            return forms.IntegerField(**common, **numeric)
        return forms.FloatField(**common, **numeric)
    if annotation is str:
        validators = []
        if "pattern" in bounds:
            validators.append(
                RegexValidator(bounds["pattern"], f"Use the form {bounds['pattern']}.")
            )
        return forms.CharField(
            max_length=bounds.get("max_length"),
            min_length=bounds.get("min_length"),
            validators=validators,
            strip=True,
            **common,
        )
    # An empty list or object is a value here, not a missing one.
    return forms.JSONField(**{**common, "required": False})


def _initial_value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


class ModuleSettingsForm(forms.Form):
    """Build with ``ModuleSettingsForm(model, current=..., data=...)``; after ``is_valid()``
    ``validated`` holds the model's JSON-ready dump (defaults filled in)."""

    def __init__(
        self,
        model: type[BaseModel],
        *,
        current: dict[str, Any] | None = None,
        data: Any = None,
        prefix: str | None = None,
    ) -> None:
        super().__init__(data=data, prefix=prefix)
        self.model = model
        self.validated: dict[str, Any] = {}
        current = current or {}
        for name, info in model.model_fields.items():
            field = form_field(name, info)
            default = None if info.default is PydanticUndefined else info.default
            field.initial = _initial_value(current.get(name, default))
            self.fields[name] = field

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        values = {}
        for name, value in cleaned.items():
            info = self.model.model_fields.get(name)
            if info is None:
                continue
            if value in ("", None) and not _unwrap_optional(info.annotation)[1]:
                continue  # left empty (a JSON field): the model's default applies
            values[name] = None if value == "" else value
        try:
            self.validated = self.model.model_validate(values).model_dump(mode="json")
        except ValidationError as exc:
            for error in exc.errors():
                location = error["loc"][0] if error["loc"] else None
                field = str(location) if location in self.fields else None
                self.add_error(field, error["msg"])
        return cleaned
