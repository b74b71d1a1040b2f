"""A request id on every response and every log line, with the tenant beside it."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
_INBOUND_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_request_id", default="-"
)


class RequestIdMiddleware:
    """Outermost middleware: takes a well-formed inbound X-Request-ID (from a proxy) or makes
    one, so even responses of the tenant middleware (unknown host, suspended) carry it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        inbound = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = inbound if _INBOUND_ID.match(inbound) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


def request_id_of(request: HttpRequest) -> str:
    return str(getattr(request, "request_id", current_request_id.get()))


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        from core.logging import current_user_id

        record.request_id = current_request_id.get()
        record.tenant = getattr(connection, "schema_name", "-")
        record.user_id = current_user_id.get()
        return True


class UserIdMiddleware:
    """After authentication: the signed-in user's id joins every log line of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from core.logging import current_user_id

        user = getattr(request, "user", None)
        user_id = str(user.pk) if user is not None and user.is_authenticated else "-"
        token = current_user_id.set(user_id)
        try:
            return self.get_response(request)
        finally:
            current_user_id.reset(token)
