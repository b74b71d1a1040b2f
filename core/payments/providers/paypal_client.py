"""A thin typed client for the PayPal REST endpoints Souk uses: OAuth2 client credentials
(``/v1/oauth2/token``, the token cached until shortly before it expires), Orders v2, captures
(looked up for disputes) and their refunds, Payouts and webhook signature verification.

PayPal's official Python SDK (``paypal-server-sdk``) covers Orders and Payments but neither
Payouts nor webhook verification, so it would be a second client beside this one; these seven
calls over ``requests`` (already a dependency) are the whole contract. Money-moving POSTs carry
``PayPal-Request-Id``, PayPal's idempotency key: a retried call answers the first result."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

logger = logging.getLogger(__name__)

LIVE_API_BASE = "https://api-m.paypal.com"
SANDBOX_API_BASE = "https://api-m.sandbox.paypal.com"
TIMEOUT_SECONDS = 30
# A cached token is renewed this long before PayPal says it expires.
TOKEN_MARGIN_SECONDS = 60


@dataclass(frozen=True)
class PayPalCredentials:
    api_base: str
    client_id: str
    client_secret: str


class PayPalAPIError(Exception):
    """PayPal answered with an error (or could not be reached: ``status`` 0). ``name`` is
    PayPal's error name (``UNPROCESSABLE_ENTITY``), ``issue`` the first detail's issue
    (``INSTRUMENT_DECLINED``)."""

    def __init__(
        self, *, status: int, name: str, message: str, issue: str = "", debug_id: str = ""
    ) -> None:
        super().__init__(f"{status} {name} {issue}: {message}".strip())
        self.status = status
        self.name = name
        self.message = message
        self.issue = issue
        self.debug_id = debug_id


@dataclass
class _Token:
    value: str
    expires_at: float


_tokens: dict[tuple[str, str], _Token] = {}
_tokens_lock = threading.Lock()


def forget_tokens() -> None:
    """Drop every cached token (a changed secret, tests)."""
    with _tokens_lock:
        _tokens.clear()


class PayPalClient:
    def __init__(self, credentials: PayPalCredentials) -> None:
        self.credentials = credentials
        self._base = credentials.api_base.rstrip("/")

    # --- auth -----------------------------------------------------------------------------

    def _token(self, *, renew: bool = False) -> str:
        key = (self._base, self.credentials.client_id)
        with _tokens_lock:
            cached = _tokens.get(key)
            if cached is not None and not renew and cached.expires_at > time.monotonic():
                return cached.value
        try:
            response = requests.post(
                f"{self._base}/v1/oauth2/token",
                data={"grant_type": "client_credentials"},
                auth=(self.credentials.client_id, self.credentials.client_secret),
                headers={"Accept": "application/json"},
                timeout=TIMEOUT_SECONDS,
            )
        except requests.RequestException as exc:
            raise PayPalAPIError(status=0, name="UNREACHABLE", message=str(exc)) from None
        body = _json(response)
        if response.status_code != 200 or not isinstance(body.get("access_token"), str):
            # OAuth errors are {"error": ..., "error_description": ...}, not PayPal's shape.
            raise PayPalAPIError(
                status=response.status_code,
                name=str(body.get("error") or "AUTHENTICATION_FAILURE"),
                message=str(body.get("error_description") or "PayPal refused the credentials."),
            )
        lifetime = int(body.get("expires_in") or 0)
        token = _Token(
            body["access_token"], time.monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, 0)
        )
        with _tokens_lock:
            _tokens[key] = token
        return token.value

    # --- transport --------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        raw_body: bytes | None = None,
        request_id: str = "",
    ) -> dict[str, Any]:
        data = raw_body if raw_body is not None else json.dumps(body or {}).encode()
        for attempt in (1, 2):
            headers = {
                "Authorization": f"Bearer {self._token(renew=attempt == 2)}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Prefer": "return=representation",
            }
            if request_id:
                headers["PayPal-Request-Id"] = request_id
            try:
                response = requests.request(
                    method,
                    f"{self._base}{path}",
                    data=data if method != "GET" else None,
                    headers=headers,
                    timeout=TIMEOUT_SECONDS,
                )
            except requests.RequestException as exc:
                raise PayPalAPIError(status=0, name="UNREACHABLE", message=str(exc)) from None
            if response.status_code == 401 and attempt == 1:
                continue  # the cached token expired early or was revoked: one fresh token
            break
        answer = _json(response)
        if response.status_code >= 400:
            details = answer.get("details") or [{}]
            first = details[0] if isinstance(details, list) and details else {}
            error = PayPalAPIError(
                status=response.status_code,
                name=str(answer.get("name") or "ERROR"),
                message=str(answer.get("message") or response.reason or "PayPal error"),
                issue=str(first.get("issue") or "") if isinstance(first, dict) else "",
                debug_id=str(answer.get("debug_id") or ""),
            )
            logger.warning(
                "paypal %s %s failed: %s (debug id %s)", method, path, error, error.debug_id
            )
            raise error
        return answer

    # --- Orders v2 --------------------------------------------------------------------------

    def create_order(self, *, body: dict[str, Any], request_id: str) -> dict[str, Any]:
        return self._call("POST", "/v2/checkout/orders", body=body, request_id=request_id)

    def get_order(self, order_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v2/checkout/orders/{_segment(order_id)}")

    def capture_order(self, order_id: str, *, request_id: str) -> dict[str, Any]:
        return self._call(
            "POST", f"/v2/checkout/orders/{_segment(order_id)}/capture", request_id=request_id
        )

    def get_capture(self, capture_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v2/payments/captures/{_segment(capture_id)}")

    def refund_capture(
        self, capture_id: str, *, body: dict[str, Any], request_id: str
    ) -> dict[str, Any]:
        return self._call(
            "POST",
            f"/v2/payments/captures/{_segment(capture_id)}/refund",
            body=body,
            request_id=request_id,
        )

    # --- Payouts ----------------------------------------------------------------------------

    def create_payout(self, *, body: dict[str, Any], request_id: str) -> dict[str, Any]:
        return self._call("POST", "/v1/payments/payouts", body=body, request_id=request_id)

    # --- webhooks ---------------------------------------------------------------------------

    def verify_webhook_signature(
        self, *, headers: dict[str, str], webhook_id: str, event_body: bytes
    ) -> bool:
        """PayPal's own check of a delivery. The event goes back exactly as received (spliced
        in as raw JSON, not parsed and dumped again): PayPal checks its CRC32 of the body."""
        fields = {
            "auth_algo": headers.get("auth_algo", ""),
            "cert_url": headers.get("cert_url", ""),
            "transmission_id": headers.get("transmission_id", ""),
            "transmission_sig": headers.get("transmission_sig", ""),
            "transmission_time": headers.get("transmission_time", ""),
            "webhook_id": webhook_id,
        }
        prefix = json.dumps(fields)[:-1].encode()
        raw = prefix + b', "webhook_event": ' + event_body + b"}"
        answer = self._call("POST", "/v1/notifications/verify-webhook-signature", raw_body=raw)
        return answer.get("verification_status") == "SUCCESS"


def _segment(identifier: str) -> str:
    """An id as one path segment (PayPal's ids are alphanumeric; anything else is refused
    before it reaches a URL)."""
    if not identifier or not identifier.replace("-", "").replace("_", "").isalnum():
        raise PayPalAPIError(status=400, name="INVALID_RESOURCE_ID", message="Malformed id.")
    return identifier


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
