"""Django's error handlers: the envelope for API paths, a themed page otherwise."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.envelope import error_response, wants_json


def _answer(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if wants_json(request):
        return error_response(request, status, code, message)
    try:
        return render(request, f"errors/{status}.html", {"message": message}, status=status)
    except Exception:  # a broken template must not hide the original error
        return HttpResponse(message, status=status, content_type="text/plain")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(request, 404, "not_found", "Not found.")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(request, 400, "bad_request", "Bad request.")


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(request, 403, "forbidden", "You may not do this.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _answer(request, 500, "internal_error", "Something went wrong on our side.")
