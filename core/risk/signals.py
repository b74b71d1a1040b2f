"""What the request tells the risk rules: the client's address, its country (from a CDN's
header, only when the deployment says that header is trustworthy: no GeoIP database is
downloaded or consulted) and a device id.

The device id is an HttpOnly, host-only, first-party cookie: taken from the request when it
is well-formed, otherwise minted and set on the response only when a checkout used it.
``RiskSignalsMiddleware`` puts them in a context variable for the request; services called
outside a request (demo data, tasks) see empty signals and the per-address and per-device
checks do not apply."""

from __future__ import annotations

import contextvars
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.ratelimit import client_ip, ip_bucket_key

DEVICE_COOKIE = "souk_device"
DEVICE_COOKIE_MAX_AGE = 2 * 365 * 24 * 3600
_DEVICE_ID = re.compile(r"^[A-Za-z0-9]{32}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
# Cloudflare's placeholders: unknown, and Tor.
_NOT_A_COUNTRY = {"XX", "T1"}


@dataclass
class RequestSignals:
    ip: str = ""
    ip_country: str = ""
    device_id: str = ""
    is_device_new: bool = False
    is_device_used: bool = field(default=False)

    def use_device(self) -> str:
        self.is_device_used = True
        return self.device_id


current_signals: contextvars.ContextVar[RequestSignals | None] = contextvars.ContextVar(
    "risk_request_signals", default=None
)


def ip_country_of(request: HttpRequest) -> str:
    header: str = settings.SOUK_RISK_IP_COUNTRY_HEADER
    if not header:
        return ""
    value = request.headers.get(header, "").strip().upper()
    return value if _COUNTRY.match(value) and value not in _NOT_A_COUNTRY else ""


def signals_of(request: HttpRequest) -> RequestSignals:
    cookie = request.COOKIES.get(DEVICE_COOKIE, "")
    is_new = not _DEVICE_ID.match(cookie)
    address = client_ip(request)
    return RequestSignals(
        ip="" if address == "unknown" else ip_bucket_key(address),
        ip_country=ip_country_of(request),
        device_id=secrets.token_hex(16) if is_new else cookie,
        is_device_new=is_new,
    )


class RiskSignalsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        signals = signals_of(request)
        token = current_signals.set(signals)
        try:
            response = self.get_response(request)
        finally:
            current_signals.reset(token)
        if signals.is_device_new and signals.is_device_used:
            response.set_cookie(
                DEVICE_COOKIE,
                signals.device_id,
                max_age=DEVICE_COOKIE_MAX_AGE,
                httponly=True,
                secure=request.is_secure(),
                samesite="Lax",
            )
        return response
