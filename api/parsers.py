"""How the APIs read request bodies: a JSON body must say it is JSON.

A browser sends a cross-site ``<form>`` (``text/plain``, ``application/x-www-form-urlencoded``,
``multipart/form-data``) without a CORS preflight, and with ``enctype="text/plain"`` its body can
be made to read as JSON. The endpoints that need no authentication (sign-in, sign-up) have no
CSRF check, so a page on another site could sign a visitor into the attacker's account. Those
content types are exactly what a page cannot send as ``application/json`` without a preflight,
so refusing them on every JSON-body endpoint closes that door. Endpoints that take uploads
(``File``/``Form`` parameters) read ``request.POST``/``request.FILES`` and never come here.
"""

from __future__ import annotations

from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.parser import Parser
from ninja.types import DictStrAny

JSON_MEDIA_TYPE = "application/json"


class UnsupportedMediaType(HttpError):
    """The body is not JSON; ``api.errors`` answers 415 in the envelope."""

    def __init__(self, content_type: str) -> None:
        self.content_type = content_type
        super().__init__(415, f"Send the body as {JSON_MEDIA_TYPE}.")


def is_json_media_type(content_type: str) -> bool:
    """``application/json`` or a structured ``+json`` type (``application/merge-patch+json``);
    parameters such as ``charset`` are already stripped by Django."""
    media_type = content_type.strip().lower()
    return media_type == JSON_MEDIA_TYPE or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class JsonBodyParser(Parser):
    def parse_body(self, request: HttpRequest) -> DictStrAny:
        # ninja re-reads the JSON of ``Body`` fields sent inside a multipart upload through a
        # stand-in request without headers; only a request from a client is checked.
        is_client_request = isinstance(request, WSGIRequest | ASGIRequest)
        if is_client_request and not is_json_media_type(request.content_type or ""):
            raise UnsupportedMediaType(request.content_type or "")
        return super().parse_body(request)
