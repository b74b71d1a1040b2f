from datetime import datetime

from ninja import Field, Schema

from core.schemas import StrictSchema


class SignUpIn(StrictSchema):
    email: str = Field(..., max_length=254)
    password: str = Field(..., max_length=256)
    full_name: str = Field("", max_length=300)


class LoginIn(StrictSchema):
    email: str = Field(..., max_length=254)
    password: str = Field(..., max_length=256)


class CodeIn(StrictSchema):
    code: str = Field(..., min_length=1, max_length=40)


class TokenIn(StrictSchema):
    token: str = Field(..., min_length=1, max_length=1000)


class EmailIn(StrictSchema):
    email: str = Field(..., max_length=254)


class ResetConfirmIn(StrictSchema):
    uid: str = Field(..., max_length=64)
    token: str = Field(..., max_length=128)
    new_password: str = Field(..., max_length=256)


class ProfileIn(StrictSchema):
    full_name: str = Field(..., max_length=300)


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
    name: str = Field(..., max_length=200)
    scopes: list[str] = Field(..., max_length=10)
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
    reason: str = Field(..., max_length=300)
