from datetime import datetime
from typing import Annotated

from ninja import Field, Schema

from core.accounts.models import PersonalAccessToken, TokenScope, User
from core.schemas import StrictSchema, longest, model_max_length

EMAIL_MAX_LENGTH = model_max_length(User, "email")
FULL_NAME_MAX_LENGTH = model_max_length(User, "full_name")


class SignUpIn(StrictSchema):
    email: str = Field(..., max_length=EMAIL_MAX_LENGTH)
    password: str = Field(..., max_length=256)
    full_name: str = Field("", max_length=FULL_NAME_MAX_LENGTH)


class LoginIn(StrictSchema):
    email: str = Field(..., max_length=EMAIL_MAX_LENGTH)
    password: str = Field(..., max_length=256)


class CodeIn(StrictSchema):
    code: str = Field(..., min_length=1, max_length=40)


class TokenIn(StrictSchema):
    token: str = Field(..., min_length=1, max_length=1000)


class EmailIn(StrictSchema):
    email: str = Field(..., max_length=EMAIL_MAX_LENGTH)


class ResetConfirmIn(StrictSchema):
    uid: str = Field(..., max_length=64)
    token: str = Field(..., max_length=128)
    new_password: str = Field(..., max_length=256)


class ProfileIn(StrictSchema):
    full_name: str = Field(..., max_length=FULL_NAME_MAX_LENGTH)


class PasswordChangeIn(StrictSchema):
    current_password: str = Field(..., max_length=256)
    new_password: str = Field(..., max_length=256)
    keep_access_tokens: bool = Field(
        False, description="Keep your personal access tokens working (default: revoke them)."
    )


class PasswordIn(StrictSchema):
    password: str = Field(..., max_length=256)


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    is_email_verified: bool
    has_two_factor: bool
    is_two_factor_required: bool
    date_joined: datetime


class LoginOut(Schema):
    status: str
    user: MeOut | None


class AccessTokenIn(StrictSchema):
    name: str = Field(..., max_length=model_max_length(PersonalAccessToken, "name"))
    scopes: list[Annotated[str, Field(max_length=longest(TokenScope.values))]] = Field(
        ..., max_length=10
    )
    expires_at: datetime | None = None


class AccessTokenOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


class IssuedAccessTokenOut(AccessTokenOut):
    token: str = Field(..., description="Shown once; store it now.")


class TotpEnrolmentOut(Schema):
    otpauth_url: str
    qr_svg: str


class BackupCodesOut(Schema):
    backup_codes: list[str]


class UserAdminOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    is_active: bool
    is_email_verified: bool
    suspended_at: datetime | None
    suspended_reason: str
    date_joined: datetime


class ReasonIn(StrictSchema):
    reason: str = Field(..., max_length=model_max_length(User, "suspended_reason"))


class CsrfOut(Schema):
    csrf_token: str = Field(description="Send it back in the X-CSRFToken header")
