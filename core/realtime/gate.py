"""The door of ``/ws/``: which marketplace a socket is for, whether the page that opens it is
one of that marketplace's, and who it belongs to - decided before the consumer runs.

- The tenant comes from the Host header, the way the HTTP middleware finds it (the Domain
  table, so subdomains and custom domains alike; ``www.`` dropped). The platform host, an
  unknown host and a suspended marketplace get no socket.
- The Origin header must name one of that same marketplace's hosts: a page on another site
  (or another marketplace) cannot open a socket with the visitor's ticket. A missing Origin is
  refused too; browsers always send one, other clients must.
- The ticket (``?ticket=``) is consumed in that marketplace's schema, so a ticket minted on
  another marketplace simply does not exist here.

A refusal closes the handshake with a code (the browser sees a failed connection, HTTP 403):
4400 no ticket, 4401 bad/used/expired ticket, 4403 origin or suspended marketplace, 4404 not
a socket path or not a marketplace host."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from channels.db import database_sync_to_async
from django.db import connection
from django_tenants.utils import (
    get_tenant_domain_model,
    get_tenant_model,
    remove_www,
    schema_context,
)

from core.realtime.services.tickets import SocketUser, consume_ticket

logger = logging.getLogger(__name__)

SOCKET_PATHS = ("/ws/", "/ws")

CLOSE_NO_TICKET = 4400
CLOSE_BAD_TICKET = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_UNAVAILABLE = 1011


@dataclass(frozen=True)
class SocketScope:
    """What the consumer is told: the tenant's schema and the socket's user."""

    schema: str
    user: SocketUser


@dataclass(frozen=True)
class Refusal:
    code: int
    reason: str


def header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


def hostname_of(host_header: str) -> str:
    """The host without port, lower case, ``www.`` dropped: the key of the Domain table."""
    host = host_header.strip().lower()
    if host.startswith("["):  # an IPv6 literal is never a marketplace host
        return ""
    return str(remove_www(host.split(":", 1)[0]))


def admit(*, host: str, origin: str, ticket: str) -> SocketScope | Refusal:
    """Synchronous (one thread's connection): the decision, in the public schema and then in
    the tenant's."""
    hostname = hostname_of(host)
    # The tenants app's Domain, looked up as django-tenants does (core does not import tenants).
    domain_model = get_tenant_domain_model()
    with schema_context("public"):
        domain = domain_model.objects.select_related("tenant").filter(domain=hostname).first()
        if domain is None or not hostname:
            return Refusal(CLOSE_NOT_FOUND, "not a marketplace host")
        tenant = domain.tenant
        if tenant.is_platform:
            return Refusal(CLOSE_NOT_FOUND, "the platform host has no socket")
        if tenant.is_suspended:
            return Refusal(CLOSE_FORBIDDEN, "marketplace suspended")
        if not is_origin_allowed(origin, tenant_id=tenant.pk, domain_model=domain_model):
            return Refusal(CLOSE_FORBIDDEN, "origin not allowed")
    if not ticket:
        return Refusal(CLOSE_NO_TICKET, "no ticket")
    with schema_context(tenant.schema_name):
        user = consume_ticket(ticket)
    if user is None:
        return Refusal(CLOSE_BAD_TICKET, "unknown, used or expired ticket")
    return SocketScope(schema=tenant.schema_name, user=user)


def is_marketplace_serving(schema: str) -> bool:
    """Whether the marketplace of ``schema`` still serves (not suspended, not deleted); its row
    is in the public schema, on every connection's search path."""
    tenant = get_tenant_model().objects.filter(schema_name=schema).first()
    return tenant is not None and not tenant.is_suspended


def is_origin_allowed(origin: str, *, tenant_id: int, domain_model: Any) -> bool:
    """Whether ``origin`` (``scheme://host[:port]``) is a page of the tenant's own hosts."""
    if not origin:
        return False
    try:
        parts = urlsplit(origin)
        origin_host = parts.hostname or ""
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not origin_host:
        return False
    return bool(
        domain_model.objects.filter(tenant_id=tenant_id, domain=remove_www(origin_host)).exists()
    )


async def refuse(receive: Any, send: Any, code: int) -> None:
    """Closes the handshake before accepting it (the client sees HTTP 403)."""
    await receive()  # websocket.connect
    await send({"type": "websocket.close", "code": code})


class TenantSocketGate:
    """ASGI middleware for websocket scopes in front of the consumer."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("path") not in SOCKET_PATHS:
            await refuse(receive, send, CLOSE_NOT_FOUND)
            return
        query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
        try:
            verdict = await database_sync_to_async(_admit_and_reset)(
                host=header(scope, b"host"),
                origin=header(scope, b"origin"),
                ticket=(query.get("ticket") or [""])[0],
            )
        except Exception:
            logger.exception("socket admission failed")
            await refuse(receive, send, CLOSE_UNAVAILABLE)
            return
        if isinstance(verdict, Refusal):
            logger.info("socket refused (%s): %s", verdict.code, verdict.reason)
            await refuse(receive, send, verdict.code)
            return
        await self.inner({**scope, "souk": verdict, "tenant_schema": verdict.schema}, receive, send)


def _admit_and_reset(*, host: str, origin: str, ticket: str) -> SocketScope | Refusal:
    try:
        return admit(host=host, origin=origin, ticket=ticket)
    finally:
        # The thread also serves HTTP requests; leave it on the public schema.
        connection.set_schema_to_public()  # type: ignore[attr-defined]
