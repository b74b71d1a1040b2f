"""A real HTTP server on loopback playing a seller's software: it checks every call's
signature with ``signing.verify_signature`` (as a seller would, with the seller's secret),
records what it received, and answers provisioning calls with an account (or whatever a test
scripts: failures, redirects, bad answers)."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from core.integrations.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature


@dataclass
class ReceivedCall:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    is_signature_valid: bool
    answered: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)


class PartnerServer:
    def __init__(self) -> None:
        self.secret = ""  # the seller's signing secret
        self.secret_for: dict[str, str] = {}  # another seller's, by path
        self.tolerance = 300
        self.clock_skew = 0.0  # seconds added to this server's clock (replays "later")
        self.calls: list[ReceivedCall] = []
        self._scripted: dict[str, deque[Answer]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._accounts = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path: str, *answers: Answer) -> None:
        """The next calls to ``path`` get these answers, in order; then the defaults."""
        with self._lock:
            self._scripted[path].extend(answers)

    def calls_to(self, path: str) -> list[ReceivedCall]:
        with self._lock:
            return [call for call in self.calls if call.path == path]

    def _default(self, path: str) -> Answer:
        if path.startswith("/provision"):
            self._accounts += 1
            number = self._accounts
            return Answer(
                201,
                {
                    "account_id": f"acct-{number}",
                    "credentials": {"login": f"user{number}", "password": f"secret-{number}"},
                },
            )
        return Answer(200, {"received": True})

    def _answer(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[Answer, bool]:
        is_valid = verify_signature(
            self.secret_for.get(path, self.secret),
            headers.get(TIMESTAMP_HEADER.lower()),
            body,
            headers.get(SIGNATURE_HEADER.lower()),
            tolerance=self.tolerance,
            now=time.time() + self.clock_skew,
        )
        with self._lock:
            if not is_valid:
                answer = Answer(401, {"error": "invalid signature"})
            elif self._scripted[path]:
                answer = self._scripted[path].popleft()
            else:
                answer = self._default(path)
            self.calls.append(ReceivedCall(path, headers, body, is_valid, answer.status))
        return answer, is_valid

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                answer, _ = server._answer(self.path, body, headers)
                raw = (
                    answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
                ).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def send_again(server: PartnerServer, call: ReceivedCall, *, body: bytes | None = None) -> int:
    """Replay a received call to the server as an attacker would (same headers; another body
    when given); the status it answers."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        headers = {
            TIMESTAMP_HEADER: call.headers[TIMESTAMP_HEADER.lower()],
            SIGNATURE_HEADER: call.headers[SIGNATURE_HEADER.lower()],
            "Content-Type": "application/json",
        }
        connection.request(
            "POST", call.path, body=call.body if body is None else body, headers=headers
        )
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.fixture(name="partner_server")
def partner_server_fixture() -> Iterator[PartnerServer]:
    """Import ``partner_server_fixture`` into a test module to use ``partner_server``."""
    server = PartnerServer()
    server.start()
    yield server
    server.stop()
