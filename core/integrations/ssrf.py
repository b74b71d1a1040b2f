"""The SSRF guard: Souk only calls a seller's URL (webhooks, a module's partner calls) when
every address its host resolves to is a public one, checked when the URL is configured and
again when each call is sent (DNS may answer differently by then: "rebinding"), and the call
goes to the very address that was checked. Refused: private, loopback, link-local, multicast,
reserved, unspecified and shared (carrier NAT) ranges, in IPv4 and IPv6, including IPv4
addresses wrapped in IPv6 (mapped, NAT64, 6to4, Teredo). Redirects are never followed.

``SOUK_WEBHOOKS_ALLOW_LOOPBACK`` (default False) lets loopback addresses through and nothing
else: the test suite's partner server listens on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from core.errors import ErrorKind
from core.integrations.errors import IntegrationError, IntegrationErrorCode

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 500
TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


def allows_loopback() -> bool:
    return bool(getattr(settings, "SOUK_WEBHOOKS_ALLOW_LOOPBACK", False))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress, *, allow_loopback: bool = False) -> bool:
    """Whether Souk may connect to ``address``."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            # The IPv4 address inside decides (a mapped 127.0.0.1 is loopback); the wrapper
            # itself is not public address space for mapped and NAT64 forms.
            return is_public_address(embedded, allow_loopback=allow_loopback)
    if address.is_loopback:
        return allow_loopback
    return address.is_global and not address.is_multicast


def _unsafe(field: str, message: str) -> IntegrationError:
    return IntegrationError(
        IntegrationErrorCode.UNSAFE_URL, message, details={"field": field}, kind=ErrorKind.INVALID
    )


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``address``) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def _split(url: str, field: str) -> tuple[str, str, int, str]:
    if len(url) > MAX_URL_LENGTH:
        raise _unsafe(field, f"URLs are at most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _unsafe(field, "This is not a valid URL.") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise _unsafe(field, "Give an http:// or https:// URL with a host name.")
    if parts.username is not None or parts.password is not None:
        raise _unsafe(field, "Credentials in the URL are not accepted; use the signature.")
    default_port = 443 if parts.scheme == "https" else 80
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port or default_port, path


def _resolve(host: str, port: int, field: str) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise _unsafe(field, f"The host {host[:100]} cannot be resolved.") from None
    addresses: list[IPAddress] = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # an IPv6 scope id is not part of the address
        address = ipaddress.ip_address(raw)
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise _unsafe(field, f"The host {host[:100]} cannot be resolved.")
    return addresses


def check_url(url: str, *, field: str = "url") -> Target:
    """The URL's target when every address of its host is public (see the module's docstring);
    raises ``IntegrationError(UNSAFE_URL)`` naming ``field`` otherwise."""
    scheme, host, port, path = _split(url.strip(), field)
    addresses = _resolve(host, port, field)
    allow_loopback = allows_loopback()
    for address in addresses:
        if not is_public_address(address, allow_loopback=allow_loopback):
            raise _unsafe(
                field,
                f"{host[:100]} resolves to {address}, a private or reserved address; "
                "Souk only calls public addresses.",
            )
    return Target(scheme=scheme, host=host, port=port, path=path, address=str(addresses[0]))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address; the Host header still names the host."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.pinned_address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address, verifying the certificate for the host name (SNI too)."""

    def __init__(self, target: Target, timeout: float) -> None:
        self.tls_context = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self.tls_context)
        self.pinned_address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self.pinned_address, self.port), self.timeout)
        self.sock = self.tls_context.wrap_socket(raw, server_hostname=self.host)


@dataclass(frozen=True)
class Response:
    status: int
    body: str


def post_json(
    url: str, *, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT_SECONDS
) -> Response:
    """POST ``body`` to ``url`` after checking it again; a 3xx answer is returned as it is (not
    followed). Raises ``IntegrationError(UNSAFE_URL)`` for a refused target and ``OSError`` or
    ``http.client.HTTPException`` when the call fails on the network."""
    target = check_url(url)
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, timeout)
    else:
        connection = _PinnedHTTPConnection(target, timeout)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={"Content-Type": "application/json", **headers},
        )
        answer = connection.getresponse()
        content = answer.read(MAX_RESPONSE_BYTES)
        return Response(status=answer.status, body=content.decode("utf-8", errors="replace"))
    finally:
        connection.close()
