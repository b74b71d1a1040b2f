"""Authorising a seller's API once, on the router: a signed-in seller, or a teammate holding
every one of the router's team permissions (a module's seller router gets its manifest's
``permissions``, applied by the composition root). Handlers read the seller with
``authorised_seller(request)`` instead of looking it up again.

The partner API (a seller's own systems, ``X-API-Key``) is authorised the same way:
``seller_key_auth(permission)`` on each operation (or router) names the team permission the
key must carry; ``any_seller_key_auth()`` admits any live key of the seller (its own profile).
A partner router mounted by the composition root goes through ``behind_seller_key_auth``,
which refuses at start-up an operation that does not name its key permission."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja import Router
from ninja.constants import NOT_SET
from ninja.security import APIKeyHeader

from core.accounts.auth import BearerTokenAuth, SessionUserAuth
from core.accounts.models import TokenScope, User
from core.accounts.principal import principal_of, require_scope, require_two_factor
from core.sellers.models import Seller, TeamPermission
from core.sellers.selectors import acting_seller_holding
from core.sellers.services.api_keys import ApiKeyIdentity, identify_api_key, require_key_permission

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


# --- the partner API: a seller's API key --------------------------------------------------------


class SellerKeyAuth(APIKeyHeader):
    """``X-API-Key: souk_sk_...``: a live key of a seller of this marketplace (else 401) that
    carries every one of ``permissions`` (else 403 ``permission_denied`` with the
    ``required_permission``), checked before the request body is read. The key's identity is
    on ``request.api_key_identity`` from the moment the key is known (so the integration log
    records a refusal too), and its seller is what ``authorised_seller(request)`` answers."""

    param_name = "X-API-Key"

    def __init__(self, permissions: Iterable[str]) -> None:
        super().__init__()
        self.permissions = tuple(TeamPermission(permission) for permission in permissions)

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKeyIdentity | None:
        identity = identify_api_key(key or "")
        if identity is None:
            return None
        request.api_key_identity = identity  # type: ignore[attr-defined]
        for permission in self.permissions:
            require_key_permission(identity, permission)
        seller = Seller.objects.filter(pk=identity.seller_id).first()
        if seller is None:  # gone since the key was cached
            return None
        remember_authorised_seller(request, seller)
        return identity


def seller_key_auth(permission: str, *more: str) -> list[SellerKeyAuth]:
    """Operation or router auth of the partner API: a key carrying ``permission`` (and
    ``more``), the team permission a teammate would need for the same action."""
    return [SellerKeyAuth((permission, *more))]


def any_seller_key_auth() -> list[SellerKeyAuth]:
    """Any live key of the seller, whatever it carries: only for what every key may read
    (the seller's own public profile)."""
    return [SellerKeyAuth(())]


def key_permissions(auth: object) -> tuple[TeamPermission, ...] | None:
    """The permissions an operation's (or router's) auth asks of a partner key; None when it
    is not (only) a seller key auth."""
    callbacks = list(auth) if isinstance(auth, list | tuple) else [auth]
    keys = [callback for callback in callbacks if isinstance(callback, SellerKeyAuth)]
    if not keys or len(keys) != len(callbacks):
        return None
    return tuple(sorted({permission for key in keys for permission in key.permissions}))


def behind_seller_key_auth(router: Router) -> Router:
    """``router`` (a partner router) once every operation is shown to name the key permission
    it needs (``auth=seller_key_auth(...)`` on it, or on a router above it); one that does not
    is refused at start-up, so a new endpoint cannot forget its check."""
    _require_key_auth(router, "", router.auth)
    return router


def _require_key_auth(router: Router, prefix: str, inherited: object) -> None:
    router_auth = router.auth if router.auth is not NOT_SET else inherited
    for path, path_view in router.path_operations.items():
        for operation in path_view.operations:
            auth = operation.auth_param if operation.auth_param is not NOT_SET else router_auth
            if not key_permissions(auth):
                raise ImproperlyConfigured(
                    f"{operation.view_func.__module__}.{operation.view_func.__name__} "
                    f"({prefix}{path}) is a partner API operation without "
                    "auth=seller_key_auth(<team permission>)."
                )
    for child_prefix, child, _tags in router._routers:
        _require_key_auth(child, f"{prefix}{child_prefix}", router_auth)
