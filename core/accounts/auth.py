"""How a signed-in user reaches the APIs: a browser session (+CSRF) or a bearer personal
access token, each setting ``request.principal``; and platform staff on the platform host. In
core so that module and tenants routers (which may not import ``api/``) authenticate the same
way as the core ones."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from core.accounts.errors import AccountError, AccountErrorCode
from core.accounts.models import TokenScope, User
from core.accounts.principal import (
    Principal,
    principal_of,
    require_operator,
    require_scope,
    require_two_factor,
)
from core.accounts.services.tokens import authenticate_token
from core.errors import ErrorKind


def is_otp_verified(user: Any) -> bool:
    """Whether django-otp verified this session's second factor."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified is not None and is_verified())


class SessionUserAuth(SessionAuth):
    """A signed-in browser session; ninja checks CSRF on unsafe methods."""

    openapi_scheme = "cookie"

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = super().authenticate(request, key)
        if not isinstance(user, User) or not user.is_active:
            return None
        request.principal = Principal(  # type: ignore[attr-defined]
            user=user, token=None, is_two_factor_verified=is_otp_verified(user)
        )
        return user


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer souk_pat_...`` - a personal access token of this marketplace."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = authenticate_token(token)
        if found is None:
            return None
        identity, user = found
        request.user = user
        request.principal = Principal(  # type: ignore[attr-defined]
            user=user, token=identity, is_two_factor_verified=identity.is_two_factor_verified
        )
        return user


class PlatformStaffAuth(SessionAuth):
    """Platform staff signed in on the platform host (session + CSRF) with a verified second
    factor (django-otp) who hold every one of ``permissions``: the Django permissions the
    console asks for the same action (``tenants.view_tenant`` to read, ``tenants.delete_tenant``
    to delete...), so the API grants a staff member exactly what the console does. Each
    operation names its permissions; one that names none is for superusers only.

    Not staff, or no verified second factor: 401. Staff without the permission: 403."""

    def __init__(self, *permissions: str) -> None:
        super().__init__()
        self.permissions = permissions

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = super().authenticate(request, key)
        if not isinstance(user, User) or not user.is_staff or not user.is_active:
            return None
        if not is_otp_verified(user):
            return None
        is_allowed = user.has_perms(self.permissions) if self.permissions else user.is_superuser
        if not is_allowed:
            needed = list(self.permissions) or ["superuser"]
            raise AccountError(
                AccountErrorCode.PERMISSION_DENIED,
                f"Your staff account may not do this; it needs {', '.join(needed)}.",
                details={"permissions": needed},
                kind=ErrorKind.FORBIDDEN,
            )
        return user


user_auth = [BearerTokenAuth(), SessionUserAuth()]


class _PrincipalCheck:
    """A check the router's auth runs on the principal once it is authenticated; its
    DomainError (403 with the check's code) reaches the caller through the API's handler."""

    def __init__(
        self, scope: TokenScope, *, is_operator: bool = False, needs_two_factor: bool = False
    ) -> None:
        self.scope = scope
        self.is_operator = is_operator
        self.needs_two_factor = needs_two_factor

    def __call__(self, request: HttpRequest) -> None:
        principal = principal_of(request)
        if self.is_operator:
            require_operator(principal)
        else:
            require_scope(principal, self.scope)
        if self.needs_two_factor:
            require_two_factor(principal)


class CheckedBearerAuth(BearerTokenAuth):
    """A personal access token whose principal passes ``check``."""

    def __init__(self, check: _PrincipalCheck) -> None:
        super().__init__()
        self.check = check

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = super().authenticate(request, token)
        if user is not None:
            self.check(request)
        return user


class CheckedSessionAuth(SessionUserAuth):
    """A signed-in browser session (+CSRF) whose principal passes ``check``."""

    def __init__(self, check: _PrincipalCheck) -> None:
        super().__init__()
        self.check = check

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = super().authenticate(request, key)
        if user is not None:
            self.check(request)
        return user


def buyer_auth(scope: TokenScope) -> list[CheckedBearerAuth | CheckedSessionAuth]:
    """Router or operation auth for a signed-in user acting for themselves: not signed in 401;
    a token without ``scope`` (read or write) 403 ``insufficient_scope``."""
    check = _PrincipalCheck(scope)
    return [CheckedBearerAuth(check), CheckedSessionAuth(check)]


def operator_auth() -> list[CheckedBearerAuth | CheckedSessionAuth]:
    """Router auth for the marketplace's operators: not signed in 401; another role 403
    ``forbidden_role``; a token without the operator scope 403 ``insufficient_scope``; no
    verified second factor 403 ``two_factor_required``."""
    check = _PrincipalCheck(TokenScope.OPERATOR, is_operator=True)
    return [CheckedBearerAuth(check), CheckedSessionAuth(check)]


def seller_account_auth() -> list[CheckedBearerAuth | CheckedSessionAuth]:
    """Router auth for a user's own seller account, before or after verification (onboarding,
    profile, team): not signed in 401; a token without the seller scope 403
    ``insufficient_scope``; a seller owner without the second factor the marketplace demands
    403 ``two_factor_required``. Which seller they own is the handler's lookup."""
    check = _PrincipalCheck(TokenScope.SELLER, needs_two_factor=True)
    return [CheckedBearerAuth(check), CheckedSessionAuth(check)]
