"""Stripe without the internet, for any test that talks to it. A pytest plugin: a test module
says ``pytest_plugins = ["tests.stripe_fixtures"]`` and asks for ``stripe_testbed``.

- **localstripe** (PyPI), started once per session as a subprocess on a free loopback port,
  plays Stripe's payments API: customers, payment methods, PaymentIntents (3-D Secure test
  cards included), charges, refunds and the events they raise.
- **StripeFront**, a recording proxy in front of localstripe, is what ``STRIPE_API_BASE``
  points at. It adds two things Stripe documents and localstripe lacks: idempotent requests (a
  repeated ``Idempotency-Key`` answers the first response again; the key reused with other
  parameters answers 400 ``idempotency_error``), and the PaymentIntent parameters localstripe
  (modelled on an older API version) refuses, which it takes off the request and puts back on
  the object, as Stripe would return them. It also answers ``POST /v1/disputes/{id}`` (Stripe's
  dispute update, which localstripe lacks) in Stripe's shape: the evidence kept, ``submit``
  moving the dispute to ``under_review``, a submitted dispute refusing further evidence.
- **ConnectStub** answers the Connect endpoints localstripe lacks (``POST /v1/accounts``,
  ``GET /v1/accounts/{id}``, ``POST /v1/account_links``, ``POST /v1/transfers``,
  ``POST /v1/transfers/{id}/reversals``) in Stripe's documented JSON shapes, keeping accounts
  and transfers as state; ``STRIPE_CONNECT_API_BASE`` points at it. It also plays the page an
  account link leads to (``GET /setup/e/{account}/{key}``), where a browser ends up.

Both servers record every request (``sent()``), so tests can check what went on the wire.
(PYTEST_DONT_REWRITE: a plugin without asserts, imported by the test modules that use it.)"""

from __future__ import annotations

import base64
import json
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import stripe
from django.test import Client

from core.payments import providers
from core.payments.providers.stripe import StripeProvider

TEST_SECRET_KEY = "sk_test_souk_fixtures"
TEST_PUBLISHABLE_KEY = "pk_test_souk_fixtures"
TEST_WEBHOOK_SECRET = "whsec_souk_fixtures"
LOCALSTRIPE = Path(sys.executable).with_name("localstripe")
WEBHOOK_PATH = "/api/v1/payments/stripe/webhook"

# Stripe's test cards (https://docs.stripe.com/testing) and what localstripe does with them.
CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINED_ON_CHARGE = "4000000000000341"  # localstripe declines this one when charged
CARD_DECLINED_ON_ATTACH = "4000000000000002"  # ... and this one only when saved to a customer
CARD_THREE_D_SECURE = "4000002500003155"

Reply = tuple[int, dict[str, Any]]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _now() -> int:
    return int(time.time())


def _object_id(prefix: str) -> str:
    return prefix + secrets.token_hex(7)


def _error(status: int, message: str, code: str = "", **extra: Any) -> Reply:
    body: dict[str, Any] = {"type": "invalid_request_error", "message": message, **extra}
    if code:
        body["code"] = code
    return status, {"error": body}


@dataclass
class StripeCall:
    """One request as it went on the wire. ``params`` are the form (or query) fields exactly as
    stripe-python flattened them: ``metadata[order_id]``, ``expand[0]``."""

    method: str
    path: str
    params: dict[str, str]
    idempotency_key: str
    stripe_account: str
    api_key: str

    def nested(self, name: str) -> dict[str, str]:
        """``metadata[a]=1&metadata[b]=2`` as ``{"a": "1", "b": "2"}``."""
        prefix = f"{name}["
        return {
            key[len(prefix) : -1]: value
            for key, value in self.params.items()
            if key.startswith(prefix) and key.endswith("]") and "][" not in key
        }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, document, headers = self.server.owner.serve(
            self.command, self.path, dict(self.headers.items()), body
        )
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Request-Id", _object_id("req_"))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: StripeWireServer


class StripeWireServer(ABC):
    """Stripe's manners shared by both servers: form-encoded requests, JSON answers, the error
    envelope, and idempotency keys (the first response to a key is kept and answered again,
    with ``Idempotent-Replayed: true``; the key with other parameters is refused)."""

    def __init__(self) -> None:
        self.calls: list[StripeCall] = []
        self._replays: dict[tuple[str, str], tuple[str, Reply]] = {}
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._replays.clear()

    def sent(self, method: str | None = None, path: str | None = None) -> list[StripeCall]:
        """Recorded requests, optionally only those with this method and a path matching the
        regular expression ``path`` in full."""
        return [
            call
            for call in list(self.calls)
            if (method is None or call.method == method)
            and (path is None or re.fullmatch(path, call.path))
        ]

    @abstractmethod
    def answer(self, call: StripeCall, raw_path: str, body: bytes) -> Reply:
        """The reply to one recorded request (each server defines its own)."""

    def serve(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        parts = urlsplit(raw_path)
        source = body.decode() if method == "POST" else parts.query
        params = dict(parse_qsl(source, keep_blank_values=True))
        call = StripeCall(
            method=method,
            path=parts.path,
            params=params,
            idempotency_key=headers.get("Idempotency-Key", ""),
            stripe_account=headers.get("Stripe-Account", ""),
            api_key=_api_key(headers.get("Authorization", "")),
        )
        with self._lock:
            self.calls.append(call)
        if method != "POST" or not call.idempotency_key:
            status, document = self.answer(call, raw_path, body)
            return status, document, {}
        fingerprint = f"{method} {parts.path} {sorted(params.items())}"
        slot = (call.api_key, call.idempotency_key)
        with self._lock:
            kept = self._replays.get(slot)
        if kept is not None:
            if kept[0] != fingerprint:
                status, document = _error(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                    type="idempotency_error",
                )
                return status, document, {}
            return kept[1][0], kept[1][1], {"Idempotent-Replayed": "true"}
        reply = self.answer(call, raw_path, body)
        if reply[0] < 500 and reply[0] != 429:  # Stripe keeps every executed outcome
            with self._lock:
                self._replays[slot] = (fingerprint, reply)
        return reply[0], reply[1], {}


def _api_key(authorization: str) -> str:
    scheme, _, value = authorization.partition(" ")
    if scheme == "Bearer":
        return value
    if scheme == "Basic":
        return base64.b64decode(value).decode().partition(":")[0]
    return ""


# --- localstripe and the proxy in front of it -------------------------------------------------


class StripeFront(StripeWireServer):
    # Parameters Stripe takes on POST /v1/payment_intents that localstripe answers "Unexpected"
    # to; recorded, taken off the forwarded request, and put back on the returned object.
    UNMODELLED = frozenset(
        {"description", "transfer_group", "setup_future_usage", "allowed_payment_method_types"}
    )

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self._restored: dict[str, dict[str, Any]] = {}
        self.disputes: dict[str, dict[str, Any]] = {}
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        super().__init__()

    def reset(self) -> None:
        super().reset()
        self._restored.clear()
        self.disputes.clear()

    def _update_dispute(self, call: StripeCall, dispute_id: str) -> Reply:
        dispute = self.disputes.setdefault(
            dispute_id,
            {
                "id": dispute_id,
                "object": "dispute",
                "status": "needs_response",
                "evidence": {},
                "evidence_details": {"has_evidence": False, "submission_count": 0},
            },
        )
        if dispute["status"] != "needs_response":
            return _error(400, "This dispute is already closed or under review.")
        dispute["evidence"].update(call.nested("evidence"))
        dispute["evidence_details"]["has_evidence"] = bool(dispute["evidence"])
        if call.params.get("submit") == "true":
            dispute["status"] = "under_review"
            dispute["evidence_details"]["submission_count"] += 1
        return 200, json.loads(json.dumps(dispute))

    def answer(self, call: StripeCall, raw_path: str, body: bytes) -> Reply:
        if call.method == "POST" and (match := re.fullmatch(r"/v1/disputes/(du_\w+)", call.path)):
            return self._update_dispute(call, match[1])
        pairs = parse_qsl(body.decode(), keep_blank_values=True) if call.method == "POST" else []
        kept, taken = pairs, []
        if call.method == "POST" and call.path == "/v1/payment_intents":
            kept = [(k, v) for k, v in pairs if k.partition("[")[0] not in self.UNMODELLED]
            taken = [(k, v) for k, v in pairs if k.partition("[")[0] in self.UNMODELLED]
        request = urllib.request.Request(
            self.upstream + raw_path,
            data=urlencode(kept).encode() if call.method == "POST" else None,
            method=call.method,
            headers={
                "Authorization": f"Bearer {call.api_key}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        try:
            with self._opener.open(request, timeout=30) as response:
                status, document = response.status, json.loads(response.read())
        except urllib.error.HTTPError as failure:
            status, document = failure.code, json.loads(failure.read())
        if status == 200 and taken and isinstance(document.get("id"), str):
            self._restored[document["id"]] = _unflattened(taken)
        if status == 200:
            for item in document.get("data") or [document]:
                if isinstance(item, dict) and item.get("id") in self._restored:
                    item.update(self._restored[item["id"]])
        return status, document


def _unflattened(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in pairs:
        name, bracket, _ = key.partition("[")
        if bracket:
            fields.setdefault(name, []).append(value)
        else:
            fields[name] = value
    return fields


def _start_localstripe(log: IO[bytes]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    # --from-scratch: never load the state another run left in /tmp/localstripe.pickle.
    process = subprocess.Popen(
        [str(LOCALSTRIPE), "--port", str(port), "--from-scratch"], stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    probe = urllib.request.Request(
        f"{url}/v1/balance", headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"localstripe exited: {log.read().decode()[-2000:]}")
        try:
            with opener.open(probe, timeout=2):
                return process, url
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"localstripe did not answer on {url} within 30 s") from None
            time.sleep(0.1)


# --- the Connect endpoints localstripe lacks ---------------------------------------------------


class ConnectStub(StripeWireServer):
    """Express accounts, account links, transfers and transfer reversals, as Stripe answers
    them. ``complete_onboarding()`` plays the seller finishing Stripe's onboarding form."""

    def __init__(self) -> None:
        self.accounts: dict[str, dict[str, Any]] = {}
        self.transfers: dict[str, dict[str, Any]] = {}
        # When set, transfers are refused with this Stripe error code (balance_insufficient...).
        self.transfer_refusal_code = ""
        # When set, every request is refused as Stripe refuses a wrong key (quoting it).
        self.is_key_rejected = False
        super().__init__()

    def reset(self) -> None:
        super().reset()
        self.accounts.clear()
        self.transfers.clear()
        self.transfer_refusal_code = ""
        self.is_key_rejected = False

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        account = self.accounts[account_id]
        account.update(
            charges_enabled=True,
            payouts_enabled=True,
            details_submitted=True,
            capabilities={"transfers": "active"},
        )
        account["requirements"].update(currently_due=[], disabled_reason=None)
        return account

    def answer(self, call: StripeCall, raw_path: str, body: bytes) -> Reply:
        if match := re.fullmatch(r"/setup/e/(acct_\w+)/[\w-]+", call.path):
            # Where an account link leads: the seller's browser, so no API key.
            if call.method != "GET" or match[1] not in self.accounts:
                return _error(404, "This onboarding link is not valid.")
            return 200, {"object": "onboarding_page", "account": match[1]}
        if self.is_key_rejected or not call.api_key.startswith("sk_"):
            return _error(401, f"Invalid API Key provided: {call.api_key}")
        route = f"{call.method} {call.path}"
        if route == "POST /v1/accounts":
            return self._create_account(call)
        if match := re.fullmatch(r"GET /v1/accounts/(acct_\w+)", route):
            account = self.accounts.get(match[1])
            if account is None:
                return _error(404, f"No such account: '{match[1]}'", "resource_missing")
            return 200, account
        if route == "POST /v1/account_links":
            return self._create_account_link(call)
        if route == "POST /v1/transfers":
            return self._create_transfer(call)
        if match := re.fullmatch(r"POST /v1/transfers/(tr_\w+)/reversals", route):
            return self._reverse(call, match[1])
        return _error(404, f"Unrecognized request URL ({call.method}: {call.path}).")

    def _create_account(self, call: StripeCall) -> Reply:
        account_id = _object_id("acct_")
        requested = "capabilities[transfers][requested]" in call.params
        self.accounts[account_id] = {
            "id": account_id,
            "object": "account",
            "type": call.params.get("type", "express"),
            "email": call.params.get("email"),
            "country": call.params.get("country", "US"),
            "default_currency": "usd",
            "business_type": None,
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
            "capabilities": {"transfers": "inactive"} if requested else {},
            "requirements": {
                "currently_due": ["external_account", "tos_acceptance.date"],
                "eventually_due": ["external_account", "tos_acceptance.date"],
                "past_due": [],
                "disabled_reason": "requirements.past_due",
            },
            "metadata": call.nested("metadata"),
            "created": _now(),
            "livemode": False,
        }
        return 200, self.accounts[account_id]

    def _create_account_link(self, call: StripeCall) -> Reply:
        account_id = call.params.get("account", "")
        for name in ("account", "type"):
            if not call.params.get(name):
                return _error(400, f"Missing required param: {name}.", "parameter_missing")
        if account_id not in self.accounts:
            return _error(400, f"No such account: '{account_id}'", "resource_missing")
        return 200, {
            "object": "account_link",
            "created": _now(),
            "expires_at": _now() + 300,
            "url": f"{self.url}/setup/e/{account_id}/{secrets.token_urlsafe(12)}",
        }

    def _create_transfer(self, call: StripeCall) -> Reply:
        destination = call.params.get("destination", "")
        amount = int(call.params.get("amount") or 0)
        if amount <= 0:
            return _error(400, "Invalid positive integer", "parameter_invalid_integer")
        account = self.accounts.get(destination)
        if account is None:
            return _error(400, f"No such destination: '{destination}'", "resource_missing")
        if self.transfer_refusal_code:
            return _error(400, "The transfer was refused.", self.transfer_refusal_code)
        if account["capabilities"].get("transfers") != "active":
            return _error(
                400,
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                "insufficient_capabilities_for_transfer",
            )
        transfer_id = _object_id("tr_")
        self.transfers[transfer_id] = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "currency": call.params.get("currency"),
            "description": call.params.get("description"),
            "destination": destination,
            "destination_payment": _object_id("py_"),
            "balance_transaction": _object_id("txn_"),
            "metadata": call.nested("metadata"),
            "reversed": False,
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "source_transaction": None,
            "transfer_group": call.params.get("transfer_group"),
            "created": _now(),
            "livemode": False,
        }
        return 200, self.transfers[transfer_id]

    def _reverse(self, call: StripeCall, transfer_id: str) -> Reply:
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            return _error(404, f"No such transfer: '{transfer_id}'", "resource_missing")
        remaining = transfer["amount"] - transfer["amount_reversed"]
        amount = int(call.params.get("amount") or remaining)
        if amount <= 0 or amount > remaining:
            return _error(
                400,
                f"The amount you requested ({amount}) is greater than the amount remaining "
                f"on the transfer ({remaining}).",
            )
        reversal = {
            "id": _object_id("trr_"),
            "object": "transfer_reversal",
            "amount": amount,
            "currency": transfer["currency"],
            "transfer": transfer_id,
            "balance_transaction": _object_id("txn_"),
            "destination_payment_refund": _object_id("pyr_"),
            "source_refund": None,
            "metadata": call.nested("metadata"),
            "created": _now(),
        }
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        transfer["reversals"]["data"].insert(0, reversal)
        transfer["reversals"]["total_count"] += 1
        return 200, reversal


# --- what tests use -----------------------------------------------------------------------------


def sign_event(
    event: dict[str, Any] | bytes,
    *,
    secret: str = TEST_WEBHOOK_SECRET,
    timestamp: int | None = None,
) -> tuple[bytes, str]:
    """The body and the ``Stripe-Signature`` header Stripe would send for ``event``."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, timestamp=timestamp
    )
    return body, header


def post_webhook(client: Client, body: bytes, signature: str | None) -> Any:
    headers = {"Stripe-Signature": signature} if signature is not None else {}
    return client.post(WEBHOOK_PATH, data=body, content_type="application/json", headers=headers)


@dataclass
class StripeTestbed:
    front: StripeFront
    connect: ConnectStub
    localstripe_url: str
    provider: StripeProvider
    webhook_secret: str = TEST_WEBHOOK_SECRET
    # Setup calls a test makes itself (payment methods, events), through the same front.
    client: stripe.StripeClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = stripe.StripeClient(TEST_SECRET_KEY, base_addresses={"api": self.front.url})

    def payment_method(self, card_number: str) -> str:
        """A PaymentMethod for a test card, as Stripe.js would make it in the buyer's browser."""
        method = self.client.v1.payment_methods.create(
            {
                "type": "card",
                "card": {"number": card_number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
            }
        )
        return method.id

    def authenticate(self, intent_id: str, *, is_successful: bool = True) -> None:
        """The buyer passing (or failing) 3-D Secure in the browser: localstripe's stand-in for
        Stripe.js's challenge, called with the publishable key and the client secret."""
        intent = self.client.v1.payment_intents.retrieve(intent_id)
        request = urllib.request.Request(
            f"{self.localstripe_url}/v1/payment_intents/{intent_id}/_authenticate",
            data=urlencode(
                {
                    "key": TEST_PUBLISHABLE_KEY,
                    "client_secret": intent.client_secret,
                    "success": "true" if is_successful else "false",
                }
            ).encode(),
            method="POST",
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10):
            pass

    def events(self, event_type: str) -> list[dict[str, Any]]:
        """The events localstripe raised (oldest first), as Stripe would deliver them."""
        listed = self.client.v1.events.list({"type": event_type, "limit": 100})
        return [event.to_dict() for event in listed.data]

    def payment_intents_count(self) -> int:
        return len(self.client.v1.payment_intents.list({"limit": 100}).data)


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    with tempfile.TemporaryFile() as log:
        process, url = _start_localstripe(log)
        try:
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def stripe_front(localstripe_url: str) -> Iterator[StripeFront]:
    front = StripeFront(localstripe_url)
    yield front
    front.stop()


@pytest.fixture(scope="session")
def connect_stub() -> Iterator[ConnectStub]:
    stub = ConnectStub()
    yield stub
    stub.stop()


@pytest.fixture
def stripe_testbed(
    stripe_front: StripeFront, connect_stub: ConnectStub, localstripe_url: str, settings: Any
) -> Iterator[StripeTestbed]:
    """The stripe provider configured against localstripe (through the front) and the Connect
    stub, with fresh recordings; ``get_provider()`` answers it for the test."""
    stripe_front.reset()
    connect_stub.reset()
    settings.SOUK_PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = TEST_SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = TEST_WEBHOOK_SECRET
    settings.STRIPE_API_BASE = stripe_front.url
    settings.STRIPE_CONNECT_API_BASE = connect_stub.url
    providers._load.cache_clear()
    yield StripeTestbed(stripe_front, connect_stub, localstripe_url, StripeProvider())
    providers._load.cache_clear()
