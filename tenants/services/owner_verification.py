"""The owner of a marketplace opened on the public sign-up form proves their e-mail address
before the marketplace is public. Until then only its operators see it (the rest of the world
gets a "not open yet" page, see ``UnopenedMarketplaceMiddleware``), so a throwaway or someone
else's address cannot put a storefront, a phishing page or a spam relay on the platform."""

from __future__ import annotations

from collections.abc import Callable

from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from core import ratelimit
from core.accounts import throttles
from core.accounts.models import Role, User
from core.errors import ErrorKind
from tenants.errors import TenantError, TenantErrorCode
from tenants.models import Domain, Tenant

OWNER_VERIFICATION_SALT = "souk.tenants.verify-owner"
OWNER_VERIFICATION_MAX_AGE = 7 * 24 * 3600
OWNER_VERIFICATION_PATH = "/marketplace/verify/"

# A host name -> "scheme://host[:port]" (the caller knows the scheme and port it serves on).
BaseUrlFor = Callable[[str], str]


def owner_verification_token(tenant: Tenant) -> str:
    # The owner's address is signed in: a token stops working when the address changes.
    return signing.dumps({"t": tenant.pk, "e": tenant.owner_email}, salt=OWNER_VERIFICATION_SALT)


def owner_verification_link(tenant: Tenant, *, base_url_for: BaseUrlFor) -> str:
    """On the marketplace's primary domain, never the platform's or a request's Host."""
    primary = Domain.objects.get(tenant=tenant, is_primary=True).domain
    return f"{base_url_for(primary)}{OWNER_VERIFICATION_PATH}{owner_verification_token(tenant)}/"


def send_owner_verification(*, tenant: Tenant, base_url_for: BaseUrlFor) -> None:
    """The confirmation mail, sent after the transaction commits."""
    link = owner_verification_link(tenant, base_url_for=base_url_for)
    days = OWNER_VERIFICATION_MAX_AGE // 86400
    body = (
        f"You opened {tenant.name} on Souk. Until you confirm this address, only you and your "
        f"team can see it. To open it to everyone, follow this link:\n\n{link}\n\n"
        f"The link works for {days} days; a marketplace not confirmed by then is deleted. "
        "If you did not open a marketplace, ignore this message; nobody else will see it."
    )
    subject = f"[Souk] Confirm your e-mail address to open {tenant.name}"
    recipient = tenant.owner_email
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]))


def resend_owner_verification(*, tenant: Tenant, base_url_for: BaseUrlFor) -> None:
    """Another link, for an operator of the unopened marketplace; rate-limited per
    marketplace, so the button cannot mail the owner's address without end."""
    rate = throttles.rate("owner_verification_mail")
    ratelimit.check(scope="owner_verification_mail", key=str(tenant.pk), rate=rate)
    if not tenant.is_owner_verified:
        send_owner_verification(tenant=tenant, base_url_for=base_url_for)


def verify_marketplace_owner(*, tenant: Tenant, token: str) -> Tenant:
    """Open the marketplace ``token`` was mailed for (idempotent). The token must be this
    marketplace's and name its current owner address. The owner's account on the
    marketplace is marked verified too: it is the same address, proven the same way."""
    invalid = TenantError(
        TenantErrorCode.OWNER_VERIFICATION_INVALID,
        "This confirmation link is invalid or has expired; sign in to ask for a new one.",
        details={"field": "token"},
        kind=ErrorKind.BAD_REQUEST,
    )
    try:
        payload = signing.loads(
            token, salt=OWNER_VERIFICATION_SALT, max_age=OWNER_VERIFICATION_MAX_AGE
        )
    except signing.BadSignature:
        raise invalid from None
    if not isinstance(payload, dict) or payload.get("t") != tenant.pk:
        raise invalid
    if not tenant.owner_email or payload.get("e") != tenant.owner_email:
        raise invalid
    now = timezone.now()
    with transaction.atomic():
        Tenant.objects.filter(pk=tenant.pk, owner_verified_at__isnull=True).update(
            owner_verified_at=now
        )
        with schema_context(tenant.schema_name):
            User.objects.filter(
                email=tenant.owner_email, role=Role.OPERATOR, email_verified_at__isnull=True
            ).update(email_verified_at=now)
    tenant.refresh_from_db(fields=["owner_verified_at"])
    return tenant
