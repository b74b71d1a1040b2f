"""Operator and staff sessions end sooner than a buyer's: an absolute age and an idle timeout.

A buyer's session lasts Django's ``SESSION_COOKIE_AGE`` (two weeks); a browser left signed in
as an operator (who can move money, suspend sellers and read every buyer's e-mail) or as
platform staff must not. Each session remembers when its user first used it and when it was
last seen; past either limit the user is signed out before the view runs, so pages send them
to the sign-in form and the API answers 401, with no view-level checks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from core.accounts.models import Role, User

STARTED_KEY = "souk_privileged_started"
LAST_SEEN_KEY = "souk_privileged_last_seen"
# last_seen is written at most this often, so a busy operator's session is not saved on
# every request.
LAST_SEEN_RESOLUTION_SECONDS = 60


def is_privileged(user: object) -> bool:
    return isinstance(user, User) and (
        user.role in {Role.OPERATOR, Role.STAFF} or user.is_staff or user.is_support_agent
    )


def max_age_seconds() -> int:
    return int(getattr(settings, "SOUK_PRIVILEGED_SESSION_MAX_AGE", 12 * 3600))


def idle_timeout_seconds() -> int:
    return int(getattr(settings, "SOUK_PRIVILEGED_SESSION_IDLE_TIMEOUT", 30 * 60))


def stamp_new_session(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """``user_logged_in`` receiver (every way of signing in ends in ``login()``): the clock of
    a privileged session starts at sign-in, so requests write nothing until a minute passes."""
    if is_privileged(user) and hasattr(request, "session"):
        now = int(time.time())
        request.session[STARTED_KEY] = now
        request.session[LAST_SEEN_KEY] = now


class PrivilegedSessionMiddleware:
    """After AuthenticationMiddleware: signs out operator and staff sessions that are too old
    or have been idle too long."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if is_privileged(user):
            self._enforce(request)
        return self.get_response(request)

    @staticmethod
    def _enforce(request: HttpRequest) -> None:
        session = request.session
        now = int(time.time())
        started = int(session.get(STARTED_KEY, now))
        last_seen = int(session.get(LAST_SEEN_KEY, now))
        if now - started > max_age_seconds() or now - last_seen > idle_timeout_seconds():
            logout(request)  # flushes the session; request.user becomes anonymous
            return
        if STARTED_KEY not in session:
            session[STARTED_KEY] = started
        if LAST_SEEN_KEY not in session or now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
            session[LAST_SEEN_KEY] = now
