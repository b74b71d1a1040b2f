"""Every operation of both APIs documents what it answers: a body schema for its success
status (so OpenAPI shows the shape, and schemathesis checks real answers against it in
tests/test_api_fuzz.py), or a declared empty answer (``204: None``, ``202: None``) or non-JSON
media type (a PDF, a CSV). A bare
``dict[str, Any]`` (an object with no properties) does not count: STYLE.md calls it a defect."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from api.platform import api as platform_api
from api.v1 import api as tenant_api

# Operations allowed to answer an undocumented body: none any more. It may only shrink: an
# operation that cannot be documented yet is named here with the reason, and its line goes when
# its answer is (a Schema in its app's schemas, `response=` on the route); the second test fails
# when a listed operation is documented, so an entry cannot go stale.
NOT_YET_DOCUMENTED: frozenset[tuple[str, str]] = frozenset()

JSON = "application/json"


def _is_shapeless(schema: dict[str, Any]) -> bool:
    """``{}`` or an object with no declared properties (what ``dict[str, Any]`` becomes), or a
    list of them (``list[dict[str, Any]]``)."""
    if not schema:
        return True
    if schema.get("type") == "array":
        return _is_shapeless(schema.get("items") or {})
    return (
        schema.get("type") == "object"
        and "properties" not in schema
        and "$ref" not in schema
        and not isinstance(schema.get("additionalProperties"), dict)
    )


def _documents_success(responses: dict[str, Any]) -> bool:
    successes = {str(code): answer for code, answer in responses.items() if str(code)[0] == "2"}
    if not successes:
        return False
    for code, answer in successes.items():
        content = answer.get("content") or {}
        if not content and code != "200":  # declared empty (`204: None`, `202: None`); an
            continue  # operation that declares nothing shows a bare 200
        if not content:
            return False
        for media_type, body in content.items():
            if media_type == JSON and _is_shapeless(body.get("schema") or {}):
                return False
    return True


def _undocumented(schema: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if not _documents_success(operation.get("responses", {}))
    }


def _tenant_schema() -> dict[str, Any]:
    return dict(tenant_api.get_openapi_schema())


def _platform_schema() -> dict[str, Any]:
    with override_settings(ROOT_URLCONF="core.urls_platform"):  # where the platform API lives
        return dict(platform_api.get_openapi_schema())


@pytest.mark.parametrize("load", [_tenant_schema, _platform_schema], ids=["tenant", "platform"])
def test_every_operation_documents_its_success_answer(load: Any) -> None:
    undocumented = _undocumented(load())
    assert undocumented <= NOT_YET_DOCUMENTED, sorted(undocumented - NOT_YET_DOCUMENTED)


def test_the_allowlist_only_names_operations_still_undocumented() -> None:
    still = _undocumented(_tenant_schema()) | _undocumented(_platform_schema())
    assert still >= NOT_YET_DOCUMENTED, sorted(NOT_YET_DOCUMENTED - still)


def test_checkout_documents_the_order_it_places() -> None:
    responses = _tenant_schema()["paths"]["/api/v1/checkout"]["post"]["responses"]
    for status in (201, 202):
        schema = responses[status]["content"][JSON]["schema"]
        assert schema == {"$ref": "#/components/schemas/OrderOut"}


def test_the_shapeless_check_catches_dict_str_any() -> None:
    assert _is_shapeless({"type": "object", "additionalProperties": True})
    assert _is_shapeless({})
    assert _is_shapeless({"type": "array", "items": {"type": "object"}})
    assert not _is_shapeless({"$ref": "#/components/schemas/OrderOut"})
    assert not _is_shapeless({"type": "array", "items": {"$ref": "#/components/schemas/X"}})
