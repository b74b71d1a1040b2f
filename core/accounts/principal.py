"""Who is calling and what they may do: the user, how they authenticated, and checks every
endpoint shares (scopes for tokens, roles, the second factor)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from core.accounts.errors import AccountError, AccountErrorCode
from core.accounts.models import Role, TokenScope, User
from core.accounts.services.tokens import TokenIdentity
from core.accounts.services.two_factor import is_two_factor_required
from core.errors import ErrorKind


@dataclass(frozen=True)
class Principal:
    user: User
    token: TokenIdentity | None  # None: a browser session
    is_two_factor_verified: bool

    def has_scope(self, scope: TokenScope) -> bool:
        return self.token is None or scope in self.token.scopes


def principal_of(request: HttpRequest) -> Principal:
    principal: Principal | None = getattr(request, "principal", None)
    if principal is None:  # an endpoint without auth asked; a wiring error, not user input
        raise RuntimeError("principal_of() used on an endpoint without authentication")
    return principal


def require_scope(principal: Principal, scope: TokenScope) -> None:
    if not principal.has_scope(scope):
        raise AccountError(
            AccountErrorCode.INSUFFICIENT_SCOPE,
            f"This token lacks the '{scope}' scope.",
            details={"required_scope": str(scope)},
            kind=ErrorKind.FORBIDDEN,
        )


def require_two_factor(principal: Principal) -> None:
    """Roles that must use a second factor may act only from a verified session, or with a
    token created from one."""
    if is_two_factor_required(principal.user) and not principal.is_two_factor_verified:
        raise AccountError(
            AccountErrorCode.TWO_FACTOR_REQUIRED,
            "Your role requires two-factor authentication: enrol at /accounts/two-factor/ "
            "and sign in with your code.",
            kind=ErrorKind.FORBIDDEN,
        )


def require_operator(principal: Principal) -> None:
    if principal.user.role != Role.OPERATOR:
        raise AccountError(
            AccountErrorCode.FORBIDDEN_ROLE,
            "Only the marketplace's operators may do this.",
            kind=ErrorKind.FORBIDDEN,
        )
    require_scope(principal, TokenScope.OPERATOR)
    require_two_factor(principal)
