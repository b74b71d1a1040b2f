"""``/api/v1/auth/`` (no authentication), ``/api/v1/me/`` and ``/api/v1/operator/users/``
(mounted with the API's user authentication by ``api/v1.py``)."""

from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from core.accounts.errors import AccountError, AccountErrorCode
from core.accounts.models import PersonalAccessToken, TokenScope, User
from core.accounts.principal import (
    principal_of,
    require_operator,
    require_scope,
    require_two_factor,
)
from core.accounts.schemas import (
    AccessTokenIn,
    AccessTokenOut,
    BackupCodesOut,
    CodeIn,
    CsrfOut,
    EmailIn,
    IssuedAccessTokenOut,
    LoginIn,
    LoginOut,
    MeOut,
    PasswordChangeIn,
    PasswordIn,
    ProfileIn,
    ReasonIn,
    ResetConfirmIn,
    SignUpIn,
    TokenIn,
    TotpEnrolmentOut,
    UserAdminOut,
)
from core.accounts.services import (
    moderation,
    password_reset,
    profile,
    sessions,
    sign_up,
    tokens,
    two_factor,
)
from core.errors import ErrorKind
from core.marketplace import site_url
from core.pagination import CursorPagination
from core.ratelimit import client_ip

auth_router = Router()
me_router = Router()
operator_users_router = Router()


def base_url(request: HttpRequest) -> str:
    """Links in e-mails use the marketplace's primary domain, never the request's Host."""
    return site_url(request)


def me_out(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "is_email_verified": user.is_email_verified,
        "has_two_factor": user.has_two_factor,
        "is_two_factor_required": two_factor.is_two_factor_required(user),
        "date_joined": user.date_joined,
    }


# --- /auth -----------------------------------------------------------------------------------


@auth_router.get("/csrf", response=CsrfOut, summary="Set the CSRF cookie for a browser client")
def csrf(request: HttpRequest) -> dict[str, str]:
    return {"csrf_token": get_token(request)}


@auth_router.post("/signup", response={201: MeOut}, summary="Create a buyer account")
def signup(request: HttpRequest, payload: SignUpIn) -> Status[dict[str, Any]]:
    user = sign_up.sign_up(
        email=payload.email,
        password=payload.password,
        full_name=payload.full_name,
        base_url=base_url(request),
        ip=client_ip(request),
    )
    sessions.begin_login(request=request, user=user)
    return Status(201, me_out(user))


@auth_router.post("/login", response=LoginOut, summary="Sign in (step 1: password)")
def login(request: HttpRequest, payload: LoginIn) -> dict[str, Any]:
    outcome = sessions.sign_in_with_password(
        request=request, email=payload.email, password=payload.password
    )
    user = outcome.user
    signed_in = outcome.status == "signed_in"
    return {"status": outcome.status, "user": me_out(user) if signed_in else None}


@auth_router.post("/login/otp", response=LoginOut, summary="Sign in (step 2: second factor)")
def login_otp(request: HttpRequest, payload: CodeIn) -> dict[str, Any]:
    user = sessions.complete_login(request=request, code=payload.code)
    return {"status": "signed_in", "user": me_out(user)}


@auth_router.post("/logout", response={204: None})
def logout(request: HttpRequest) -> Status[None]:
    sessions.log_out(request=request)
    return Status(204, None)


@auth_router.post("/verify-email", response=MeOut)
def verify_email(request: HttpRequest, payload: TokenIn) -> dict[str, Any]:
    return me_out(sign_up.verify_email(token=payload.token))


@auth_router.post("/password-reset", response={202: None}, summary="Mail a reset link")
def request_password_reset(request: HttpRequest, payload: EmailIn) -> Status[None]:
    password_reset.request_password_reset(
        email=payload.email, base_url=base_url(request), ip=client_ip(request)
    )
    return Status(202, None)


@auth_router.post("/password-reset/confirm", response={204: None})
def confirm_password_reset(request: HttpRequest, payload: ResetConfirmIn) -> Status[None]:
    password_reset.reset_password(
        uid=payload.uid, token=payload.token, new_password=payload.new_password
    )
    return Status(204, None)


# --- /me -------------------------------------------------------------------------------------


@me_router.get("", response=MeOut, summary="The signed-in account")
def me(request: HttpRequest) -> dict[str, Any]:
    principal = principal_of(request)
    require_scope(principal, TokenScope.READ)
    return me_out(principal.user)


@me_router.patch("", response=MeOut)
def update_me(request: HttpRequest, payload: ProfileIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_scope(principal, TokenScope.WRITE)
    return me_out(profile.update_profile(user=principal.user, full_name=payload.full_name))


@me_router.delete("", response={204: None}, summary="Delete (anonymise) your account")
def delete_me(request: HttpRequest, payload: PasswordIn) -> Status[None]:
    principal = principal_of(request)
    _session_only(principal.token is None)
    profile.delete_account(user=principal.user, password=payload.password)
    sessions.log_out(request=request)
    return Status(204, None)


@me_router.post("/password", response={204: None})
def change_password(request: HttpRequest, payload: PasswordChangeIn) -> Status[None]:
    principal = principal_of(request)
    _session_only(principal.token is None)
    profile.change_password(
        request=request,
        user=principal.user,
        current_password=payload.current_password,
        new_password=payload.new_password,
        keep_access_tokens=payload.keep_access_tokens,
    )
    return Status(204, None)


@me_router.post("/verify-email/resend", response={202: None})
def resend_verification(request: HttpRequest) -> Status[None]:
    sign_up.resend_verification(user=principal_of(request).user, base_url=base_url(request))
    return Status(202, None)


def _session_only(is_session: bool) -> None:
    """Credentials (password, tokens, second factor) change only from a browser session."""
    if not is_session:
        raise AccountError(
            AccountErrorCode.INSUFFICIENT_SCOPE,
            "Sign in with a browser session to change credentials; tokens cannot.",
            kind=ErrorKind.FORBIDDEN,
        )


@me_router.get("/tokens", response=list[AccessTokenOut])
def list_tokens(request: HttpRequest) -> Any:
    principal = principal_of(request)
    require_scope(principal, TokenScope.READ)
    return PersonalAccessToken.objects.filter(
        user=principal.user, revoked_at__isnull=True
    ).order_by("-created_at")


@me_router.post("/tokens", response={201: IssuedAccessTokenOut})
def create_token(request: HttpRequest, payload: AccessTokenIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    _session_only(principal.token is None)
    issued = tokens.create_token(
        user=principal.user,
        name=payload.name,
        scopes=payload.scopes,
        expires_at=payload.expires_at,
        is_two_factor_verified=principal.is_two_factor_verified,
    )
    token = issued.token
    return Status(
        201,
        {
            "id": token.pk,
            "name": token.name,
            "prefix": token.prefix,
            "scopes": token.scopes,
            "created_at": token.created_at,
            "last_used_at": None,
            "expires_at": token.expires_at,
            "token": issued.raw,
        },
    )


@me_router.delete("/tokens/{token_id}", response={204: None})
def revoke_token(request: HttpRequest, token_id: int) -> Status[None]:
    principal = principal_of(request)
    require_scope(principal, TokenScope.WRITE)
    tokens.revoke_token(user=principal.user, token_id=token_id)
    return Status(204, None)


@me_router.post("/two-factor/totp", response=TotpEnrolmentOut, summary="Start TOTP enrolment")
def start_totp(request: HttpRequest) -> dict[str, str]:
    principal = principal_of(request)
    _session_only(principal.token is None)
    enrolment = two_factor.start_totp_enrolment(user=principal.user)
    return {"otpauth_url": enrolment.otpauth_url, "qr_svg": enrolment.qr_svg}


@me_router.post("/two-factor/totp/confirm", response=BackupCodesOut)
def confirm_totp(request: HttpRequest, payload: CodeIn) -> dict[str, list[str]]:
    principal = principal_of(request)
    _session_only(principal.token is None)
    codes = two_factor.confirm_totp_enrolment(user=principal.user, code=payload.code)
    # This session just proved the second factor.
    otp_login(request, TOTPDevice.objects.get(user=principal.user, confirmed=True))
    return {"backup_codes": codes}


@me_router.post("/two-factor/backup-codes", response=BackupCodesOut)
def new_backup_codes(request: HttpRequest) -> dict[str, list[str]]:
    principal = principal_of(request)
    _session_only(principal.token is None)
    require_two_factor(principal)
    if not principal.user.has_two_factor:
        raise AccountError(
            AccountErrorCode.TWO_FACTOR_NOT_ENABLED,
            "Turn two-factor on first.",
            kind=ErrorKind.CONFLICT,
        )
    if not principal.is_two_factor_verified:
        raise AccountError(
            AccountErrorCode.TWO_FACTOR_REQUIRED,
            "Sign in with your code before making new backup codes.",
            kind=ErrorKind.FORBIDDEN,
        )
    return {"backup_codes": two_factor.regenerate_backup_codes(user=principal.user)}


@me_router.delete("/two-factor", response={204: None})
def disable_two_factor(request: HttpRequest, payload: PasswordIn) -> Status[None]:
    principal = principal_of(request)
    _session_only(principal.token is None)
    two_factor.disable_two_factor(user=principal.user, password=payload.password)
    return Status(204, None)


# --- /operator/users -------------------------------------------------------------------------


class UserFilter(Schema):
    q: str | None = None
    role: str | None = None
    is_suspended: bool | None = None


def _marketplace_user(user_id: int) -> User:
    user = User.objects.filter(pk=user_id, deleted_at__isnull=True).first()
    if user is None:
        raise AccountError(
            AccountErrorCode.USER_NOT_FOUND, "No such user.", kind=ErrorKind.NOT_FOUND
        )
    return user


@operator_users_router.get(
    "", response=list[UserAdminOut], summary="Search the marketplace's users"
)
@paginate(CursorPagination)
def list_users(request: HttpRequest, filters: Query[UserFilter]) -> Any:
    require_operator(principal_of(request))
    users = User.objects.filter(deleted_at__isnull=True, is_support_agent=False)
    if filters.q:
        users = users.filter(email__icontains=filters.q) | users.filter(
            full_name__icontains=filters.q
        )
    if filters.role:
        users = users.filter(role=filters.role)
    if filters.is_suspended is not None:
        users = users.filter(suspended_at__isnull=not filters.is_suspended)
    return users


@operator_users_router.get("/{user_id}", response=UserAdminOut)
def get_user(request: HttpRequest, user_id: int) -> User:
    require_operator(principal_of(request))
    return _marketplace_user(user_id)


@operator_users_router.post("/{user_id}/suspend", response=UserAdminOut)
def suspend_user(request: HttpRequest, user_id: int, payload: ReasonIn) -> User:
    principal = principal_of(request)
    require_operator(principal)
    return moderation.suspend_user(
        actor=principal.user, user=_marketplace_user(user_id), reason=payload.reason
    )


@operator_users_router.post("/{user_id}/reinstate", response=UserAdminOut)
def reinstate_user(request: HttpRequest, user_id: int) -> User:
    principal = principal_of(request)
    require_operator(principal)
    return moderation.reinstate_user(actor=principal.user, user=_marketplace_user(user_id))
