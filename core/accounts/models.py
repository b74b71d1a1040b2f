"""One user model for every schema: platform staff in public, each marketplace's people in
its own schema. The same e-mail on two marketplaces is two unrelated accounts."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone


class Role(models.TextChoices):
    BUYER = "buyer", "Buyer"
    SELLER = "seller", "Seller"
    OPERATOR = "operator", "Operator"
    STAFF = "staff", "Platform staff"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True, role=Role.STAFF)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    # Stored lower-cased (the manager normalises; the database checks).
    email = models.EmailField(max_length=254, unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.BUYER)
    is_active = models.BooleanField(default=True)
    # Django admin access (the platform console in public, a tenant's back-office later).
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # Kept by the two-factor services beside the django-otp devices, so "is 2FA on?" costs no
    # query on hot paths (sign-in, /me).
    two_factor_enabled_at = models.DateTimeField(null=True, blank=True)
    # Set by an operator (is_active goes False with it); cleared on reinstatement.
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.CharField(max_length=300, blank=True)
    # Deleted accounts are anonymised, not removed: orders and ledger keep their buyer row.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # A platform staff member's support identity inside a tenant (see SupportSession).
    is_support_agent = models.BooleanField(default=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(email=Lower("email")), name="user_email_lowercase")
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def has_two_factor(self) -> bool:
        return self.two_factor_enabled_at is not None


class TokenScope(models.TextChoices):
    """What a personal access token may do; a session may do everything its user may."""

    READ = "read", "Read your account and data"
    WRITE = "write", "Change your account and data"
    SELLER = "seller", "Act as your seller account"
    OPERATOR = "operator", "Operate the marketplace"


class PersonalAccessToken(models.Model):
    """``souk_pat_<prefix>_<secret>``: shown once; only a SHA-256 of the whole token is kept
    (the secret has 256 bits of entropy, so a slow hash would add nothing)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Made from a session that passed two-factor verification.
    is_two_factor_verified = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=Q(revoked_at__isnull=True),
                name="one_live_token_name_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class LoginHandoff(models.Model):
    """A single-use, short-lived ticket that signs a user in on another host: the platform's
    sign-up form hands the new operator to their storefront (cookies are host-only)."""

    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # The issuer already checked a second factor (platform staff opening a support session).
    is_two_factor_verified = models.BooleanField(default=False)
    # The public schema's SupportSession this ticket enters for (tenants.SupportSession; an id,
    # not a key, because it lives in another schema): the signed-in session lasts only while
    # that support session is open.
    support_session_id = models.PositiveBigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sign-in ticket for user {self.user_id}"
