"""Browser-side hardening headers on every response that does not set its own.

One policy fits every page we serve: storefronts, the console (Django admin, whose scripts are
all files under /static/) and the API docs. django-ninja renders its Swagger UI from its own
static files (``ninja/swagger.html``) whenever "ninja" is in INSTALLED_APPS, as it is here; only
without that does it fall back to a CDN template. So the docs need no exception.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        # Product and logo images may be hosted anywhere on https; data: for inline icons.
        "img-src 'self' data: https:",
        # The tenant's brand colours are CSS variables in an inline <style>.
        "style-src 'self' 'unsafe-inline'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"
CROSS_ORIGIN_OPENER_POLICY = "same-origin"

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": CROSS_ORIGIN_OPENER_POLICY,
}


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for name, value in SECURITY_HEADERS.items():
            # A view that needs a different policy sets its own; we do not overwrite it.
            response.headers.setdefault(name, value)
        return response
