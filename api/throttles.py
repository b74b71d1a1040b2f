"""API-wide rate limits: per token, API key or user; per IP for anonymous calls; and per
tenant, so one marketplace cannot starve the others. Ninja runs throttles after
authentication, so the caller's identity is known."""

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
            ratelimit.check(scope="api_tenant", key="all", rate=rate("api_tenant"))
            scope, key, name = self._bucket(request)
            ratelimit.check(scope=scope, key=key, rate=rate(name))
        except ratelimit.RateLimited as exc:
            refused.set(exc)
            return False
        return True

    def wait(self) -> float | None:
        exc = refused.get()
        return float(exc.retry_after) if exc is not None else None

    @staticmethod
    def _bucket(request: HttpRequest) -> tuple[str, str, str]:
        principal = getattr(request, "principal", None)
        api_key = getattr(request, "api_key_identity", None)
        if api_key is not None:
            return "api_principal", f"key:{api_key.key_id}", "api_principal"
        if principal is not None and principal.token is not None:
            return "api_principal", f"token:{principal.token.token_id}", "api_principal"
        if principal is not None:
            return "api_principal", f"user:{principal.user.pk}", "api_principal"
        return "api_anonymous", ratelimit.client_ip(request), "api_anonymous_ip"
