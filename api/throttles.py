"""API-wide rate limits: per token, API key or user; per IP (an IPv6 client per /64) for
anonymous calls; and per tenant, so one marketplace cannot starve the others. The caller's
bucket is checked first and only what it admits counts against the marketplace's, so one
client looping cannot lock everyone else out. Ninja runs throttles after authentication,
so the caller's identity is known."""

from __future__ import annotations

import contextvars

from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from core import ratelimit
from core.accounts.throttles import rate

# Ninja asks allow_request() then wait() and answers with its own Throttled error; the refusal
# itself (scope, retry-after) is kept here for the error handler to render in the envelope.
refused: contextvars.ContextVar[ratelimit.RateLimited | None] = contextvars.ContextVar(
    "api_throttle_refused", default=None
)


class ApiThrottle(BaseThrottle):
    def allow_request(self, request: HttpRequest) -> bool:
        refused.set(None)
        try:
            ratelimit.check_in_order(
                self._bucket(request),
                ratelimit.Bucket(scope="api_tenant", key="all", rate=rate("api_tenant")),
            )
        except ratelimit.RateLimited as exc:
            refused.set(exc)
            return False
        return True

    def wait(self) -> float | None:
        exc = refused.get()
        return float(exc.retry_after) if exc is not None else None

    @staticmethod
    def _bucket(request: HttpRequest) -> ratelimit.Bucket:
        """The caller's own bucket."""
        principal = getattr(request, "principal", None)
        api_key = getattr(request, "api_key_identity", None)
        if api_key is not None:
            key = f"key:{api_key.key_id}"
        elif principal is not None and principal.token is not None:
            key = f"token:{principal.token.token_id}"
        elif principal is not None:
            key = f"user:{principal.user.pk}"
        else:
            return ratelimit.Bucket(
                scope="api_anonymous",
                key=ratelimit.client_ip_bucket_key(request),
                rate=rate("api_anonymous_ip"),
            )
        return ratelimit.Bucket(scope="api_principal", key=key, rate=rate("api_principal"))
