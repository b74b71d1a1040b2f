"""Socket tickets: minted over the authenticated API, used once to open a WebSocket.

A ticket is a random value handed to the browser; the database keeps its SHA-256 only, in
the marketplace's own schema. Using it deletes the row in one statement (``DELETE ...
RETURNING``), so two sockets racing with the same ticket cannot both get in, and a ticket
minted on one marketplace does not exist on another's host."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from core.accounts.models import User
from core.realtime.models import SocketTicket

TICKET_SECONDS = 30


@dataclass(frozen=True)
class MintedTicket:
    ticket: str
    expires_in: int


@dataclass(frozen=True)
class SocketUser:
    """Who a socket belongs to, decided once by the ticket; never taken from a frame."""

    user_id: int
    name: str
    session_key: str


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def public_name(user: User) -> str:
    # Never the e-mail address: the name goes to other people (a typing indicator).
    return user.full_name or "Someone"


def mint_ticket(*, user: User, session_key: str = "") -> MintedTicket:
    """A ticket for ``user`` in the current schema, valid for TICKET_SECONDS. Expired tickets
    are swept here, so the table holds only the last half-minute's tickets."""
    now = timezone.now()
    SocketTicket.objects.filter(expires_at__lte=now).delete()
    ticket = secrets.token_urlsafe(32)
    SocketTicket.objects.create(
        digest=_digest(ticket),
        user=user,
        session_key=session_key or "",
        expires_at=now + timedelta(seconds=TICKET_SECONDS),
    )
    return MintedTicket(ticket=ticket, expires_in=TICKET_SECONDS)


def consume_ticket(ticket: str) -> SocketUser | None:
    """The user a ticket of the current schema was minted for, or None (unknown, used,
    expired, or its user or session is no longer valid). The ticket is gone afterwards."""
    if not ticket or len(ticket) > 200:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {SocketTicket._meta.db_table} WHERE digest = %s "
            "RETURNING user_id, session_key, expires_at",
            [_digest(ticket)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    user_id, session_key, expires_at = row
    if expires_at <= timezone.now():
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None or not is_socket_user_valid(user_id=user_id, session_key=session_key):
        return None
    return SocketUser(user_id=user.pk, name=public_name(user), session_key=session_key)


def is_socket_user_valid(*, user_id: int, session_key: str) -> bool:
    """Whether an open socket may keep going: its user is still active (not suspended, not
    deleted) and, for a browser, the session it came from has not been signed out."""
    if not User.objects.filter(pk=user_id, is_active=True).exists():
        return False
    if session_key:
        return Session.objects.filter(
            session_key=session_key, expire_date__gt=timezone.now()
        ).exists()
    return True
