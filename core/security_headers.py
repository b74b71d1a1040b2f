"""Browser-side hardening headers on every response that does not set its own.

One policy fits every page we serve: storefronts, the console (Django admin, whose scripts are
all files under /static/) and the API docs. django-ninja renders its Swagger UI from its own
static files (``ninja/swagger.html``) whenever "ninja" is in INSTALLED_APPS, as it is here; only
without that does it fall back to a CDN template. So the docs need no exception.

One directive differs per page: ``form-action``. Chromium applies it to the redirects that
answer a form's POST too, so a form whose answer legitimately sends the browser to another host
(the sign-up form to the new storefront, the payout step to the payment provider's onboarding)
is refused unless the page that holds the form names that host. Such a view is wrapped in
``allow_form_action(...)``, which names exactly those targets for its responses; every other
page keeps ``form-action 'self'``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Concatenate, ParamSpec

from django.http import HttpRequest, HttpResponse

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]
# What a view may add to form-action: the request decides (scheme, port, settings).
FormActionSources = Callable[[HttpRequest], Iterable[str]]

# Where the extra sources travel from the view to the middleware.
FORM_ACTION_ATTRIBUTE = "souk_form_action_sources"

# A CSP host-source with an explicit scheme: "https://connect.stripe.com",
# "http://*.souk.test:8000". Nothing else (no paths, no keywords, no separators) gets in.
_HOST_SOURCE = re.compile(
    r"^https?://(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*"
    r"(:[0-9]{1,5})?$"
)

DIRECTIVES: tuple[tuple[str, str], ...] = (
    ("default-src", "'self'"),
    # Product and logo images may be hosted anywhere on https; data: for inline icons.
    ("img-src", "'self' data: https:"),
    # The tenant's brand colours are CSS variables in an inline <style>.
    ("style-src", "'self' 'unsafe-inline'"),
    ("script-src", "'self'"),
    # Adaptive video (hls.js) plays from a MediaSource blob: URL and transmuxes in a blob:
    # worker; media files themselves come from 'self'.
    ("media-src", "'self' blob:"),
    ("worker-src", "'self' blob:"),
    ("frame-ancestors", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
    ("object-src", "'none'"),
)


def content_security_policy(*, form_action: Iterable[str] = ()) -> str:
    """The policy, with ``form_action`` host-sources allowed beside 'self'."""
    extra = list(dict.fromkeys(check_host_source(source) for source in form_action))
    parts = []
    for name, value in DIRECTIVES:
        if name == "form-action" and extra:
            value = " ".join([value, *extra])
        parts.append(f"{name} {value}")
    return "; ".join(parts)


def check_host_source(source: str) -> str:
    """``source`` if it is a plain scheme://host[:port] source; a wiring error otherwise."""
    if not _HOST_SOURCE.fullmatch(source):
        raise ValueError(f"Not a CSP host-source with a scheme: {source!r}")
    return source


CONTENT_SECURITY_POLICY = content_security_policy()
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"
CROSS_ORIGIN_OPENER_POLICY = "same-origin"

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": CROSS_ORIGIN_OPENER_POLICY,
}


def allow_form_action(sources: FormActionSources) -> Callable[[View[P]], View[P]]:
    """For a view whose page holds a form that is answered with a redirect to another host:
    ``sources(request)`` names the hosts (CSP host-sources) its responses let forms go to."""

    def decorate(view: View[P]) -> View[P]:
        @wraps(view)
        def wrapped(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            response = view(request, *args, **kwargs)
            extend_form_action(response, sources(request))
            return response

        return wrapped

    return decorate


def extend_form_action(response: HttpResponse, sources: Iterable[str]) -> None:
    """Let forms on this response's page go to ``sources`` too (checked now, not when sent)."""
    known: tuple[str, ...] = getattr(response, FORM_ACTION_ATTRIBUTE, ())
    added = tuple(check_host_source(source) for source in sources)
    setattr(response, FORM_ACTION_ATTRIBUTE, (*known, *added))


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        form_action: tuple[str, ...] = getattr(response, FORM_ACTION_ATTRIBUTE, ())
        headers = SECURITY_HEADERS
        if form_action:
            policy = content_security_policy(form_action=form_action)
            headers = {**SECURITY_HEADERS, "Content-Security-Policy": policy}
        for name, value in headers.items():
            # A view that needs a different policy sets its own; we do not overwrite it.
            response.headers.setdefault(name, value)
        return response
