"""A local HTTP server playing PayPal's REST API for the tests (no network): OAuth2 client
credentials, Orders v2 (create, get, capture), captures (get, refund), Payouts batches and webhook
signature verification, answering PayPal's documented JSON shapes and error bodies
(``{"name", "message", "debug_id", "details": [{"issue", "description"}]}``) and honouring
``PayPal-Request-Id`` (a repeated id answers the first response). Its approval link
(``/checkoutnow?token=<order id>``) is a small HTML page for browser tests, as PayPal's is for
the buyer: "Pay now" approves the order and sends the browser to the order's ``return_url``
with ``?token=<order id>&PayerID=<payer>``; "Cancel and return" sends it to ``cancel_url``
with ``?token=<order id>``.

It keeps state so tests can act as the buyer (``approve``), make PayPal decline a capture
(``decline_capture``) or refuse a payout receiver, and build webhook deliveries PayPal would
send (``event``/``signed_headers``), buyers' disputes among them (``dispute_resource``). Signatures: PayPal signs ``transmission_id|time|webhook_id|
crc32(body)`` with its certificate; this server signs the same string with an HMAC key of its
own and its verify endpoint answers SUCCESS or FAILURE, as PayPal's does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

_ids = itertools.count(1)


def _id(prefix: str = "", length: int = 17) -> str:
    raw = f"{prefix}{next(_ids):0{length}d}"
    return raw[-length:] if not prefix else raw


def _money_value(value: str) -> int:
    whole, _, fraction = value.partition(".")
    return int(whole) * 100 + int((fraction + "00")[:2])


def _value(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


@dataclass
class PayPalState:
    apps: dict[str, str] = field(default_factory=dict)  # client id -> secret
    tokens: dict[str, str] = field(default_factory=dict)  # token -> client id
    token_requests: int = 0
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    order_app: dict[str, str] = field(default_factory=dict)  # order id -> client id
    captures: dict[str, str] = field(default_factory=dict)  # capture id -> order id
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    declining: set[str] = field(default_factory=set)
    refused_receivers: set[str] = field(default_factory=set)
    idempotent: dict[tuple[str, str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    verifications: list[dict[str, Any]] = field(default_factory=list)


class PayPalServer:
    def __init__(self) -> None:
        self.state = PayPalState()
        self.lock = threading.Lock()
        self.signing_key = secrets.token_bytes(32)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def reset(self) -> None:
        with self.lock:
            self.state = PayPalState()

    # --- what tests do as the buyer, PayPal or the operator ---------------------------------

    def add_app(self) -> tuple[str, str]:
        client_id, secret = f"AppClient{secrets.token_hex(8)}", secrets.token_hex(16)
        with self.lock:
            self.state.apps[client_id] = secret
        return client_id, secret

    def approve(self, order_id: str) -> None:
        with self.lock:
            _approve(self.state.orders[order_id])

    def decline_capture(self, order_id: str) -> None:
        with self.lock:
            self.state.declining.add(order_id)

    def refuse_receiver(self, email: str) -> None:
        with self.lock:
            self.state.refused_receivers.add(email)

    def order(self, order_id: str) -> dict[str, Any]:
        with self.lock:
            return json.loads(json.dumps(self.state.orders[order_id]))

    def capture_of(self, order_id: str) -> dict[str, Any]:
        captures = self.order(order_id)["purchase_units"][0]["payments"]["captures"]
        return dict(captures[0])

    def calls_to(self, suffix: str) -> int:
        with self.lock:
            return sum(1 for _, path in self.state.calls if path.endswith(suffix))

    # --- webhooks ---------------------------------------------------------------------------

    def event(self, event_type: str, resource: dict[str, Any], *, event_id: str = "") -> bytes:
        body = {
            "id": event_id or f"WH-{secrets.token_hex(8).upper()}",
            "create_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "resource_type": event_type.split(".")[1].lower(),
            "event_type": event_type,
            "event_version": "1.0",
            "resource_version": "2.0",
            "summary": event_type,
            "resource": resource,
        }
        return json.dumps(body).encode()

    def _signature(self, transmission_id: str, time: str, webhook_id: str, crc: int) -> str:
        message = f"{transmission_id}|{time}|{webhook_id}|{crc}".encode()
        return base64.b64encode(
            hmac.new(self.signing_key, message, hashlib.sha256).digest()
        ).decode()

    def signed_headers(self, body: bytes, *, webhook_id: str) -> dict[str, str]:
        """The transmission headers PayPal sends with ``body`` to the webhook ``webhook_id``."""
        transmission_id = secrets.token_hex(16)
        time = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        crc = _crc(json.loads(body))
        return {
            "HTTP_PAYPAL_AUTH_ALGO": "SHA256withRSA",
            "HTTP_PAYPAL_CERT_URL": f"{self.url}/v1/notifications/certs/CERT-1",
            "HTTP_PAYPAL_TRANSMISSION_ID": transmission_id,
            "HTTP_PAYPAL_TRANSMISSION_SIG": self._signature(transmission_id, time, webhook_id, crc),
            "HTTP_PAYPAL_TRANSMISSION_TIME": time,
        }

    def dispute_resource(
        self,
        order_id: str,
        *,
        dispute_id: str = "PP-D-27803",
        status: str = "WAITING_FOR_SELLER_RESPONSE",
        outcome_code: str = "",
        reason: str = "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
    ) -> dict[str, Any]:
        """A dispute of the order's capture as PayPal's Disputes API shows it (the resource of
        CUSTOMER.DISPUTE.CREATED / UPDATED / RESOLVED): the capture is the seller's transaction,
        the purchase unit's ``custom_id`` and ``invoice_id`` come back as ``custom`` and
        ``invoice_number``; a resolved one has ``dispute_outcome.outcome_code``."""
        capture = self.capture_of(order_id)
        amount = capture["amount"]
        dispute: dict[str, Any] = {
            "dispute_id": dispute_id,
            "create_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "update_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "disputed_transactions": [
                {
                    "buyer_transaction_id": _id("4B", 17),
                    "seller_transaction_id": capture["id"],
                    "create_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "transaction_status": "COMPLETED",
                    "gross_amount": dict(amount),
                    "invoice_number": capture.get("invoice_id", ""),
                    "custom": capture.get("custom_id", ""),
                    "buyer": {"name": "Bea Buyer"},
                    "seller": {"merchant_id": "SELLERMERCHANT1", "name": "Marketplace"},
                }
            ],
            "reason": reason,
            "status": status,
            "dispute_amount": dict(amount),
            "dispute_life_cycle_stage": "CHARGEBACK",
            "dispute_channel": "INTERNAL",
            "links": [
                {
                    "href": f"{self.url}/v1/customer/disputes/{dispute_id}",
                    "rel": "self",
                    "method": "GET",
                }
            ],
        }
        if outcome_code:
            dispute["status"] = "RESOLVED"
            dispute["dispute_outcome"] = {
                "outcome_code": outcome_code,
                "amount_refunded": dict(amount)
                if outcome_code in {"RESOLVED_BUYER_FAVOUR", "ACCEPTED"}
                else {"currency_code": amount["currency_code"], "value": "0.00"},
            }
        return dispute

    def payout_item_resource(self, batch_id: str, status: str) -> dict[str, Any]:
        with self.lock:
            batch = self.state.batches[batch_id]
        item = batch["items"][0]
        return {
            "payout_item_id": item["payout_item_id"],
            "transaction_id": "",
            "transaction_status": status,
            "payout_batch_id": batch_id,
            "payout_item_fee": {"currency": item["amount"]["currency"], "value": "0.00"},
            "payout_item": {
                "recipient_type": "EMAIL",
                "amount": item["amount"],
                "receiver": item["receiver"],
                "sender_item_id": item["sender_item_id"],
            },
            "errors": {"name": "RECEIVER_UNREGISTERED", "message": "Receiver is unregistered"}
            if status in {"FAILED", "RETURNED", "UNCLAIMED"}
            else {},
            "links": [],
        }


def _crc(event: Any) -> int:
    return zlib.crc32(json.dumps(event, sort_keys=True).encode())


def _approve(order: dict[str, Any]) -> None:
    order["status"] = "APPROVED"
    order["payer"] = {"payer_id": "BUYERPAYER1", "email_address": "buyer@example.com"}


def _with_query(url: str, **params: str) -> str:
    return f"{url}{'&' if urlsplit(url).query else '?'}{urlencode(params)}"


# Orders a buyer may still approve (or turn back from) at PayPal.
OPEN_STATUSES = frozenset({"PAYER_ACTION_REQUIRED", "APPROVED"})
# PayPal's approval page, reduced to what a buyer reads and presses.
APPROVAL_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ margin: 0; font: 16px/1.5 system-ui, sans-serif; background: #f5f7fa; color: #001c64; }}
header {{ background: #fff; padding: .75rem 1rem; border-bottom: 1px solid #dbe1ea; }}
.logo {{ font-weight: 800; font-style: italic; color: #003087; }}
.logo span {{ color: #0070e0; }}
main {{ max-width: 26rem; margin: 1.5rem auto; padding: 1.5rem; background: #fff;
  border-radius: .75rem; }}
h1 {{ font-size: 1.25rem; margin: 0 0 1rem; }}
dl {{ display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; margin: 0 0 1.5rem; }}
dt {{ color: #545d68; }} dd {{ margin: 0; text-align: right; }}
.amount {{ font-size: 1.5rem; font-weight: 700; }}
button {{ width: 100%; padding: .8rem; font: inherit; font-weight: 700; border-radius: 2rem;
  border: 0; margin: .25rem 0; cursor: pointer; }}
.pay {{ background: #0070e0; color: #fff; }}
.cancel {{ background: none; color: #0070e0; text-decoration: underline; }}
</style></head>
<body><header><span class="logo">Pay<span>Pal</span></span> (local test server)</header>
<main>{content}</main></body></html>"""


def _approval_content(order: dict[str, Any]) -> str:
    unit = order["purchase_units"][0]
    amount = unit["amount"]
    payee = order.get("_brand_name") or f"Merchant {unit['payee']['merchant_id']}"
    token = f'<input type="hidden" name="token" value="{escape(order["id"])}">'
    buttons = (
        f'<form method="post" action="/checkoutnow/approve">{token}'
        '<button class="pay" type="submit">Pay now</button></form>'
        f'<form method="post" action="/checkoutnow/cancel">{token}'
        '<button class="cancel" type="submit">Cancel and return</button></form>'
        if order["status"] in OPEN_STATUSES
        else "<p>This order can no longer be paid.</p>"
    )
    return (
        f"<h1>Pay {escape(payee)}</h1><dl>"
        f"<dt>For</dt><dd>{escape(unit.get('description', ''))}</dd>"
        f'<dt>Total</dt><dd class="amount" data-amount>{escape(amount["value"])} '
        f"{escape(amount['currency_code'])}</dd>"
        "<dt>Paying as</dt><dd>buyer@example.com</dd></dl>"
        f"{buttons}"
    )


def _error(status: int, name: str, message: str, issue: str = "") -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"name": name, "message": message, "debug_id": secrets.token_hex(6)}
    if issue:
        body["details"] = [{"issue": issue, "description": message}]
    return status, body


def _handler(server: PayPalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send_page(self, status: int, title: str, content: str) -> None:
            data = APPROVAL_PAGE.format(title=escape(title), content=content).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _redirect(self, location: str) -> None:
            self.send_response(303)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:
            self._dispatch("GET", b"")

        def do_POST(self) -> None:
            self._dispatch("POST", self._body())

        def _dispatch(self, method: str, raw: bytes) -> None:
            with server.lock:
                server.state.calls.append((method, self.path))
            if urlsplit(self.path).path.startswith("/checkoutnow"):
                self._buyer_at_paypal(method, raw)
                return
            if self.path == "/v1/oauth2/token":
                self._send(*self._token())
                return
            auth = self.headers.get("Authorization", "")
            with server.lock:
                client_id = server.state.tokens.get(auth.removeprefix("Bearer "))
            if client_id is None:
                self._send(*_error(401, "AUTHENTICATION_FAILURE", "Authentication failed."))
                return
            request_id = self.headers.get("PayPal-Request-Id", "")
            key = (client_id, self.path, request_id)
            with server.lock:
                if request_id and key in server.state.idempotent:
                    self._send(*server.state.idempotent[key])
                    return
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    answer = _error(400, "INVALID_REQUEST", "Malformed JSON.")
                else:
                    answer = self._route(method, body, client_id)
                if request_id and answer[0] < 500:
                    server.state.idempotent[key] = answer
            self._send(*answer)

        def _buyer_at_paypal(self, method: str, raw: bytes) -> None:
            """The approval page (GET /checkoutnow?token=) and its two buttons (POST
            /checkoutnow/approve or /checkoutnow/cancel with the token in the form)."""
            parts = urlsplit(self.path)
            fields = parse_qs(raw.decode() if method == "POST" else parts.query)
            order_id = (fields.get("token") or [""])[0]
            action = f"{method} {parts.path}"
            with server.lock:
                order = server.state.orders.get(order_id)
                is_open = order is not None and order["status"] in OPEN_STATUSES
                if order and is_open and action == "POST /checkoutnow/approve":
                    _approve(order)
                order = json.loads(json.dumps(order))  # a snapshot, read outside the lock
            if order is None:
                page = "<h1>This checkout link is not valid</h1><p>Go back to the shop.</p>"
                self._send_page(404, "Checkout not found", page)
            elif method == "POST" and not is_open:
                self._send_page(409, "PayPal Checkout", _approval_content(order))
            elif action == "POST /checkoutnow/approve":
                payer_id = order["payer"]["payer_id"]
                self._redirect(_with_query(order["_return_url"], token=order_id, PayerID=payer_id))
            elif action == "POST /checkoutnow/cancel":
                self._redirect(_with_query(order["_cancel_url"], token=order_id))
            elif action == "GET /checkoutnow":
                self._send_page(200, "PayPal Checkout", _approval_content(order))
            else:
                self._send_page(405, "Not allowed", "<h1>Not allowed</h1>")

        def _token(self) -> tuple[int, dict[str, Any]]:
            scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
            client_id, _, secret = base64.b64decode(encoded or b"").decode().partition(":")
            with server.lock:
                server.state.token_requests += 1
                if scheme != "Basic" or server.state.apps.get(client_id) != secret:
                    return 401, {
                        "error": "invalid_client",
                        "error_description": "Client Authentication failed",
                    }
                token = f"A21AA{secrets.token_hex(20)}"
                server.state.tokens[token] = client_id
            return 200, {
                "scope": "https://uri.paypal.com/services/payments/payment",
                "access_token": token,
                "token_type": "Bearer",
                "app_id": "APP-80W284485P519543T",
                "expires_in": 32400,
                "nonce": secrets.token_hex(8),
            }

        def _route(self, method: str, body: dict[str, Any], app: str) -> tuple[int, dict[str, Any]]:
            parts = self.path.strip("/").split("/")
            state = server.state
            if method == "POST" and parts == ["v2", "checkout", "orders"]:
                return self._create_order(body, app)
            if parts[:3] == ["v2", "checkout", "orders"] and len(parts) >= 4:
                order = state.orders.get(parts[3])
                if order is None or state.order_app.get(parts[3]) != app:
                    return _error(
                        404,
                        "RESOURCE_NOT_FOUND",
                        "The specified resource does not exist.",
                        "INVALID_RESOURCE_ID",
                    )
                if method == "GET" and len(parts) == 4:
                    return 200, order
                if method == "POST" and parts[4:] == ["capture"]:
                    return self._capture(order)
            if method == "GET" and parts[:3] == ["v2", "payments", "captures"] and len(parts) == 4:
                return self._get_capture(parts[3], app)
            if (
                method == "POST"
                and parts[:3] == ["v2", "payments", "captures"]
                and parts[4:] == ["refund"]
            ):
                return self._refund(parts[3], body, app)
            if method == "POST" and parts == ["v1", "payments", "payouts"]:
                return self._payout(body)
            if method == "POST" and parts == ["v1", "notifications", "verify-webhook-signature"]:
                return self._verify(body)
            return _error(404, "NOT_FOUND", f"No route {method} {self.path}")

        def _create_order(self, body: dict[str, Any], app: str) -> tuple[int, dict[str, Any]]:
            units = body.get("purchase_units") or []
            if body.get("intent") != "CAPTURE" or len(units) != 1:
                return _error(
                    400,
                    "INVALID_REQUEST",
                    "Request is not well-formed.",
                    "MISSING_REQUIRED_PARAMETER",
                )
            order_id = _id("5O", 17)
            # Where the buyer goes back to: Orders v2's experience context, or the older
            # application_context PayPal still accepts.
            context = (
                ((body.get("payment_source") or {}).get("paypal") or {}).get("experience_context")
                or body.get("application_context")
                or {}
            )
            order = {
                "id": order_id,
                "intent": "CAPTURE",
                "status": "PAYER_ACTION_REQUIRED",
                "payment_source": {"paypal": {}},
                "purchase_units": [
                    {
                        **units[0],
                        "payee": {"merchant_id": app[:13].upper()},
                    }
                ],
                "create_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "links": [
                    {
                        "href": f"{server.url}/v2/checkout/orders/{order_id}",
                        "rel": "self",
                        "method": "GET",
                    },
                    {
                        "href": f"{server.url}/checkoutnow?token={order_id}",
                        "rel": "payer-action",
                        "method": "GET",
                    },
                ],
                "_return_url": context.get("return_url", ""),
                "_cancel_url": context.get("cancel_url", ""),
                "_brand_name": context.get("brand_name", ""),
            }
            server.state.orders[order_id] = order
            server.state.order_app[order_id] = app
            return 200, order

        def _capture(self, order: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            if order["status"] == "COMPLETED":
                return _error(
                    422, "UNPROCESSABLE_ENTITY", "Order already captured.", "ORDER_ALREADY_CAPTURED"
                )
            if order["status"] != "APPROVED":
                return _error(
                    422,
                    "UNPROCESSABLE_ENTITY",
                    "Payer has not yet approved the Order.",
                    "ORDER_NOT_APPROVED",
                )
            if order["id"] in server.state.declining:
                return _error(
                    422,
                    "UNPROCESSABLE_ENTITY",
                    "The instrument presented was either declined by the processor or bank.",
                    "INSTRUMENT_DECLINED",
                )
            unit = order["purchase_units"][0]
            capture_id = _id("3C", 17)
            capture = {
                "id": capture_id,
                "status": "COMPLETED",
                "amount": unit["amount"],
                "final_capture": True,
                "custom_id": unit.get("custom_id", ""),
                "invoice_id": unit.get("invoice_id", ""),
                "seller_protection": {"status": "ELIGIBLE"},
                "supplementary_data": {"related_ids": {"order_id": order["id"]}},
                "links": [
                    {"href": f"{server.url}/v2/payments/captures/{capture_id}", "rel": "self"},
                    {
                        "href": f"{server.url}/v2/payments/captures/{capture_id}/refund",
                        "rel": "refund",
                    },
                    {"href": f"{server.url}/v2/checkout/orders/{order['id']}", "rel": "up"},
                ],
                "_refunded": 0,
            }
            unit["payments"] = {"captures": [capture]}
            order["status"] = "COMPLETED"
            server.state.captures[capture_id] = order["id"]
            return 201, order

        def _get_capture(self, capture_id: str, app: str) -> tuple[int, dict[str, Any]]:
            order_id = server.state.captures.get(capture_id)
            if order_id is None or server.state.order_app.get(order_id) != app:
                return _error(
                    404,
                    "RESOURCE_NOT_FOUND",
                    "The specified resource does not exist.",
                    "INVALID_RESOURCE_ID",
                )
            capture = server.state.orders[order_id]["purchase_units"][0]["payments"]["captures"][0]
            return 200, {key: value for key, value in capture.items() if not key.startswith("_")}

        def _refund(
            self, capture_id: str, body: dict[str, Any], app: str
        ) -> tuple[int, dict[str, Any]]:
            order_id = server.state.captures.get(capture_id)
            if order_id is None or server.state.order_app.get(order_id) != app:
                return _error(
                    404,
                    "RESOURCE_NOT_FOUND",
                    "The specified resource does not exist.",
                    "INVALID_RESOURCE_ID",
                )
            capture = server.state.orders[order_id]["purchase_units"][0]["payments"]["captures"][0]
            captured = _money_value(capture["amount"]["value"])
            left = captured - capture["_refunded"]
            amount = body.get("amount") or {
                "currency_code": capture["amount"]["currency_code"],
                "value": _value(left),
            }
            cents = _money_value(amount["value"])
            if cents > left:
                return _error(
                    422,
                    "UNPROCESSABLE_ENTITY",
                    "The refund amount must be less than or equal to the capture amount.",
                    "REFUND_AMOUNT_EXCEEDED",
                )
            capture["_refunded"] += cents
            capture["status"] = (
                "REFUNDED" if capture["_refunded"] == captured else "PARTIALLY_REFUNDED"
            )
            refund_id = _id("1R", 17)
            refund = {
                "id": refund_id,
                "status": "COMPLETED",
                "amount": amount,
                "custom_id": body.get("custom_id", ""),
                "links": [
                    {"href": f"{server.url}/v2/payments/refunds/{refund_id}", "rel": "self"},
                    {"href": f"{server.url}/v2/payments/captures/{capture_id}", "rel": "up"},
                ],
            }
            server.state.refunds[refund_id] = refund
            return 201, refund

        def _payout(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            header = body.get("sender_batch_header") or {}
            items = body.get("items") or []
            if not header.get("sender_batch_id") or not items:
                return _error(
                    400,
                    "VALIDATION_ERROR",
                    "Invalid request - see details.",
                    "REQUIRED_FIELD_MISSING",
                )
            if any(item.get("receiver") in server.state.refused_receivers for item in items):
                return _error(
                    422,
                    "UNPROCESSABLE_ENTITY",
                    "The receiver's account cannot receive payouts.",
                    "RECEIVER_ACCOUNT_LOCKED",
                )
            batch_id = _id("PB", 13)
            stored = {
                "batch_header": {
                    "payout_batch_id": batch_id,
                    "batch_status": "PENDING",
                    "sender_batch_header": header,
                },
                "items": [
                    {**item, "payout_item_id": _id("PI", 13), "transaction_status": "PENDING"}
                    for item in items
                ],
            }
            server.state.batches[batch_id] = stored
            return 201, {
                "batch_header": stored["batch_header"],
                "links": [{"href": f"{server.url}/v1/payments/payouts/{batch_id}", "rel": "self"}],
            }

        def _verify(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            server.state.verifications.append(body)
            required = (
                "auth_algo",
                "cert_url",
                "transmission_id",
                "transmission_sig",
                "transmission_time",
                "webhook_id",
                "webhook_event",
            )
            if any(not body.get(name) for name in required):
                return _error(
                    400,
                    "VALIDATION_ERROR",
                    "Invalid request - see details.",
                    "MISSING_REQUIRED_PARAMETER",
                )
            expected = server._signature(
                body["transmission_id"],
                body["transmission_time"],
                body["webhook_id"],
                _crc(body["webhook_event"]),
            )
            is_valid = hmac.compare_digest(expected, body["transmission_sig"])
            return 200, {"verification_status": "SUCCESS" if is_valid else "FAILURE"}

    return Handler
