"""Platform staff entering a tenant as support, without any tenant password: an audit record
in the public schema (who, when, why) and a single-use sign-in link to the storefront."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from core.accounts.models import Role, User
from core.accounts.services.login_handoff import issue_login_handoff
from core.accounts.validation import support_agent_email
from core.errors import ErrorKind
from tenants.errors import TenantError, TenantErrorCode
from tenants.models import Domain, SupportSession, Tenant

logger = logging.getLogger(__name__)

SUPPORT_SESSION_LIFETIME = timedelta(hours=1)


@dataclass(frozen=True)
class SupportTicket:
    session: SupportSession
    url: str


def open_support_session(
    *, staff: User, tenant: Tenant, reason: str, ip_address: str | None, scheme: str, port: str
) -> SupportTicket:
    reason = " ".join(reason.split())[:500]
    if not reason:
        raise TenantError(
            TenantErrorCode.REASON_REQUIRED,
            "Say why you need to enter this marketplace; it is logged.",
            details={"field": "reason"},
            kind=ErrorKind.INVALID,
        )
    if tenant.is_platform:
        raise TenantError(
            TenantErrorCode.PLATFORM_TENANT_PROTECTED,
            "That is the platform itself.",
            kind=ErrorKind.CONFLICT,
        )
    with transaction.atomic():
        session = SupportSession.objects.create(
            staff=staff,
            tenant=tenant,
            reason=reason,
            ip_address=ip_address,
            expires_at=timezone.now() + SUPPORT_SESSION_LIFETIME,
        )
        with schema_context(tenant.schema_name):
            agent = _support_agent(staff)
            token = issue_login_handoff(
                user=agent, is_two_factor_verified=True, support_session_id=session.pk
            )
    host = Domain.objects.get(tenant=tenant, is_primary=True).domain
    if port not in {"80", "443"}:
        host = f"{host}:{port}"
    return SupportTicket(session=session, url=f"{scheme}://{host}/accounts/handoff/?token={token}")


def _support_agent(staff: User) -> User:
    """The staff member's support identity in the current tenant schema: an account under the
    reserved support domain (no one can sign up there) that is marked a support agent. An
    account holding that address without the mark is never reused: entering is refused."""
    email = support_agent_email(staff.pk)
    agent = User.objects.filter(email=email).first()
    if agent is not None and not agent.is_support_agent:
        logger.error("support address %s is held by a marketplace account; not entering", email)
        raise TenantError(
            TenantErrorCode.SUPPORT_ACCOUNT_CONFLICT,
            "An account of this marketplace holds the support address; it is not used for "
            "support. Remove that account before entering.",
            kind=ErrorKind.CONFLICT,
        )
    if agent is None:
        agent = User.objects.create_user(
            email,
            None,
            full_name=f"Platform support ({staff.email})",
            role=Role.OPERATOR,
            is_support_agent=True,
            two_factor_enabled_at=timezone.now(),
        )
    if agent.has_usable_password():
        agent.set_unusable_password()
        agent.save(update_fields=["password"])
    return agent


def is_support_session_live(*, support_session_id: int, tenant_id: int) -> bool:
    """One primary-key query on the public schema, made on every request of a support agent."""
    return SupportSession.objects.filter(
        pk=support_session_id,
        tenant_id=tenant_id,
        ended_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).exists()


def end_support_session(*, session: SupportSession) -> SupportSession:
    if session.ended_at is None:
        session.ended_at = timezone.now()
        session.save(update_fields=["ended_at"])
    return session
