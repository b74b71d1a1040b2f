"""The one error envelope: ``{"error": {"code", "message", "details"}, "request_id"}``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from core.request_id import request_id_of


def envelope(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(
    request: HttpRequest, status: int, code: str, message: str, details: Any = None
) -> JsonResponse:
    body = envelope(code, message, details)
    body["request_id"] = request_id_of(request)
    return JsonResponse(body, status=status)


def wants_json(request: HttpRequest) -> bool:
    """API paths always answer JSON; so does anything that asks for it first."""
    return request.path.startswith("/api/") or request.headers.get("Accept", "").startswith(
        "application/json"
    )
