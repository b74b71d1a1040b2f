"""Authorising a seller's API once, on the router: a signed-in seller, or a teammate holding
every one of the router's team permissions (a module's seller router gets its manifest's
``permissions``, applied by the composition root). Handlers read the seller with
``authorised_seller(request)`` instead of looking it up again."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja import Router
from ninja.constants import NOT_SET

from core.accounts.auth import BearerTokenAuth, SessionUserAuth
from core.accounts.models import TokenScope, User
from core.accounts.principal import principal_of, require_scope, require_two_factor
from core.sellers.models import Seller
from core.sellers.selectors import acting_seller_holding

_SELLER_ATTR = "_souk_authorised_seller"


SellerFinder = Callable[[User], Seller]
"""The seller a user acts for on a router, raising the SellerError (403) when they may not."""


def authorise_seller(request: HttpRequest, permissions: Iterable[str]) -> Seller:
    """For an authenticated request: a token with the seller scope (or a session), past the
    second factor where the role needs it, acting for a seller with ``permissions``."""
    permissions = tuple(permissions)
    return authorise_seller_found_by(request, lambda user: acting_seller_holding(user, permissions))


def authorise_seller_found_by(request: HttpRequest, find_seller: SellerFinder) -> Seller:
    """``authorise_seller`` with the router's own rule for which seller the user acts for
    (e.g. reviews: a teammate holding any one of several permissions)."""
    principal = principal_of(request)
    require_scope(principal, TokenScope.SELLER)
    require_two_factor(principal)
    seller = find_seller(principal.user)
    setattr(request, _SELLER_ATTR, seller)
    return seller


def authorised_seller(request: HttpRequest) -> Seller:
    """The seller the router's auth (or a studio page's guard) authorised for this request."""
    seller: Seller | None = getattr(request, _SELLER_ATTR, None)
    if seller is None:  # an endpoint outside a seller router asked; a wiring error
        raise RuntimeError("authorised_seller() used outside a seller router or page")
    return seller


def remember_authorised_seller(request: HttpRequest, seller: Seller) -> None:
    setattr(request, _SELLER_ATTR, seller)


class SellerTeamBearerAuth(BearerTokenAuth):
    """A personal access token (seller scope) of a seller or teammate with the permissions
    (or whom ``find_seller`` accepts)."""

    def __init__(self, permissions: Iterable[str], find_seller: SellerFinder | None = None) -> None:
        super().__init__()
        self.permissions = tuple(permissions)
        self.find_seller = find_seller

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = super().authenticate(request, token)
        if user is not None:
            _authorise(request, self.permissions, self.find_seller)
        return user


class SellerTeamSessionAuth(SessionUserAuth):
    """A signed-in browser session (+CSRF) of a seller or teammate with the permissions
    (or whom ``find_seller`` accepts)."""

    def __init__(self, permissions: Iterable[str], find_seller: SellerFinder | None = None) -> None:
        super().__init__()
        self.permissions = tuple(permissions)
        self.find_seller = find_seller

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = super().authenticate(request, key)
        if user is not None:
            _authorise(request, self.permissions, self.find_seller)
        return user


def _authorise(
    request: HttpRequest, permissions: tuple[str, ...], find_seller: SellerFinder | None
) -> None:
    if find_seller is None:
        authorise_seller(request, permissions)
    else:
        authorise_seller_found_by(request, find_seller)


def seller_team_auth(*permissions: str) -> list[SellerTeamBearerAuth | SellerTeamSessionAuth]:
    """Router auth: not signed in 401; not a seller, or lacking a permission, 403."""
    return [SellerTeamBearerAuth(permissions), SellerTeamSessionAuth(permissions)]


def seller_auth_found_by(
    find_seller: SellerFinder,
) -> list[SellerTeamBearerAuth | SellerTeamSessionAuth]:
    """Router auth like ``seller_team_auth`` whose rule for which seller the user acts for is
    ``find_seller`` (it raises the 403 SellerError when they may not)."""
    return [SellerTeamBearerAuth((), find_seller), SellerTeamSessionAuth((), find_seller)]


def behind_seller_team_auth(router: Router, permissions: Iterable[str]) -> Router:
    """``router`` with ``seller_team_auth(*permissions)`` on every operation. An operation or
    sub-router naming its own auth would slip past the check, so that is refused at start-up."""
    _refuse_own_auth(router, "")
    router.auth = seller_team_auth(*permissions)
    return router


def _refuse_own_auth(router: Router, prefix: str) -> None:
    for path, path_view in router.path_operations.items():
        for operation in path_view.operations:
            if operation.auth_param is not NOT_SET:
                raise ImproperlyConfigured(
                    f"{operation.view_func.__module__}.{operation.view_func.__name__} "
                    f"({prefix}{path}) sets its own auth inside a seller router, which would "
                    "skip the router's seller check."
                )
    for child_prefix, child, _tags in router._routers:
        if child.auth is not NOT_SET:
            raise ImproperlyConfigured(
                f"The sub-router at {prefix}{child_prefix!r} of a seller router sets its own "
                "auth, which would skip the router's seller check."
            )
        _refuse_own_auth(child, f"{prefix}{child_prefix}")
