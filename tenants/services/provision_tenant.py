"""The one way a tenant is made: a storefront live in well under a second."""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from core.accounts.models import Role, User
from core.accounts.services.login_handoff import issue_login_handoff
from core.errors import ErrorKind
from core.money import MoneyError, check_currency
from tenants.errors import TenantError, TenantErrorCode
from tenants.models import Domain, Plan, Tenant, TenantModule
from tenants.services.branding import BrandingSpec, parse_branding, write_branding
from tenants.services.locale import clean_time_zone
from tenants.services.modules import resolve_module_selection
from tenants.services.schema_pool import claim_pooled_schema, clone_template, create_migrated_schema
from tenants.validation import (
    clean_custom_domain,
    clean_email,
    clean_slug,
    schema_name_for,
    subdomain_for,
)

logger = logging.getLogger(__name__)

SchemaSource = Literal["pool", "clone", "migrations"]
# The public sign-up form takes only pooled schemas: a flood of sign-ups must not make the
# server clone (seconds with hundreds of schemas) or migrate in its requests.
POOL_ONLY: frozenset[SchemaSource] = frozenset({"pool"})
# What "try again in a few minutes" means: the refill task adds a schema in seconds.
AT_CAPACITY_RETRY_SECONDS = 120


@dataclass(frozen=True)
class ProvisionedTenant:
    tenant: Tenant
    owner: User
    schema_source: SchemaSource
    # A single-use ticket that signs the owner in on the new storefront (see accounts).
    login_token: str | None
    elapsed_ms: float


def provision_tenant(
    *,
    slug: str,
    name: str,
    owner_email: str,
    owner_password: str | None,
    plan: Plan | None = None,
    modules: Sequence[str] | None = None,
    module_config: Mapping[str, Mapping[str, Any]] | None = None,
    custom_domains: Sequence[str] = (),
    branding: BrandingSpec | dict[str, Any] | None = None,
    default_currency: str = "USD",
    extra_currencies: Sequence[str] = (),
    time_zone: str = "UTC",
    issue_login: bool = False,
    schema_sources: Collection[SchemaSource] | None = None,
    is_owner_verified: bool = True,
) -> ProvisionedTenant:
    """Create tenant, schema, domains, branding, enabled modules and the owner in one
    transaction. Any failure raises ``TenantError`` and leaves no schema and no row behind.

    ``owner_password=None`` makes an owner with no usable password (they set one through the
    reset link); otherwise it is validated by AUTH_PASSWORD_VALIDATORS.

    ``schema_sources`` limits where the schema may come from (default: the pool, else a clone
    of the template, else migrations when SOUK_PROVISION_MIGRATE_FALLBACK allows); with only
    the pool allowed and none ready it refuses with ``at_capacity``. ``is_owner_verified=False``
    leaves the marketplace unopened until the owner confirms their address
    (``services.owner_verification``)."""
    started = time.perf_counter()
    slug = clean_slug(slug)
    name = name.strip()
    if not name or len(name) > 120:
        raise TenantError(
            TenantErrorCode.INVALID_NAME,
            "The marketplace name must be 1-120 characters.",
            details={"field": "name"},
            kind=ErrorKind.INVALID,
        )
    owner_email = clean_email(owner_email)
    if owner_password is not None:
        _check_password(owner_password, owner_email)
    if plan is None:
        plan = Plan.objects.filter(is_default=True).first()
    selection = resolve_module_selection(plan=plan, requested=modules, configs=module_config)
    spec = parse_branding(branding)
    default_currency, currencies = clean_currencies(default_currency, extra_currencies)
    time_zone = clean_time_zone(time_zone)
    schema_name = schema_name_for(slug)
    domains = [subdomain_for(slug)]
    for raw in custom_domains:
        custom = clean_custom_domain(raw, field="custom_domains")
        if custom not in domains:
            domains.append(custom)
    _check_free(slug=slug, schema_name=schema_name, domains=domains)

    try:
        with transaction.atomic():
            source = _bring_schema(schema_name, schema_sources)
            tenant = Tenant(
                schema_name=schema_name,
                slug=slug,
                name=name,
                plan=plan,
                owner_email=owner_email,
                default_currency=default_currency,
                extra_currencies=currencies,
                time_zone=time_zone,
                owner_verified_at=timezone.now() if is_owner_verified else None,
            )
            tenant.save()
            Domain.objects.bulk_create(
                Domain(tenant=tenant, domain=domain, is_primary=index == 0, is_custom=index > 0)
                for index, domain in enumerate(domains)
            )
            write_branding(tenant=tenant, display_name=name, spec=spec)
            TenantModule.objects.bulk_create(
                TenantModule(tenant=tenant, key=key, is_enabled=True, config=config)
                for key, config in selection.items()
            )
            with schema_context(schema_name):
                owner = User.objects.create_user(
                    owner_email, owner_password, role=Role.OPERATOR, is_staff=True
                )
                login_token = issue_login_handoff(user=owner) if issue_login else None
    except IntegrityError as exc:
        # A concurrent request took the slug or a domain between the check and the insert.
        raise TenantError(
            TenantErrorCode.PROVISIONING_FAILED,
            "The address or a domain was taken while the marketplace was being created; "
            "please try again.",
            details={"reason": str(exc).splitlines()[0]},
            kind=ErrorKind.CONFLICT,
        ) from exc
    elapsed_ms = (time.perf_counter() - started) * 1000
    logger.info("provisioned tenant %s from %s in %.1f ms", schema_name, source, elapsed_ms)
    request_pool_refill()
    return ProvisionedTenant(
        tenant=tenant,
        owner=owner,
        schema_source=source,
        login_token=login_token,
        elapsed_ms=elapsed_ms,
    )


def request_pool_refill() -> None:
    """Refill the warm pool in a worker after commit, never in this request; eagerly run
    tasks (the embedded demo) would do it in the request, so there the pool is topped up by
    `fill_schema_pool` instead."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        from tenants.tasks import refill_schema_pool

        transaction.on_commit(refill_schema_pool.delay)


def clean_currencies(default: str, extra: Sequence[str]) -> tuple[str, list[str]]:
    """The default currency and the further ones products may be priced in (ISO 4217)."""
    try:
        default = check_currency(default)
        others = [check_currency(code) for code in extra]
    except MoneyError as exc:
        raise TenantError(
            TenantErrorCode.INVALID_CURRENCY,
            f"{exc}; use ISO 4217 codes such as USD, EUR, GBP.",
            details={"field": "currencies"},
            kind=ErrorKind.INVALID,
        ) from None
    return default, sorted(set(others) - {default})


def _check_password(password: str, email: str) -> None:
    try:
        validate_password(password, User(email=email))
    except ValidationError as exc:
        raise TenantError(
            TenantErrorCode.INVALID_PASSWORD,
            " ".join(exc.messages),
            details={"field": "owner_password"},
            kind=ErrorKind.INVALID,
        ) from None


def _check_free(*, slug: str, schema_name: str, domains: list[str]) -> None:
    if Tenant.objects.filter(slug=slug).exists() or schema_exists(schema_name):
        raise TenantError(
            TenantErrorCode.SLUG_TAKEN,
            f"The address '{slug}' is already taken.",
            details={"field": "slug", "value": slug},
            kind=ErrorKind.CONFLICT,
        )
    taken = list(Domain.objects.filter(domain__in=domains).values_list("domain", flat=True))
    if taken:
        raise TenantError(
            TenantErrorCode.DOMAIN_TAKEN,
            f"Already in use: {', '.join(sorted(taken))}.",
            details={"field": "custom_domains", "taken": sorted(taken)},
            kind=ErrorKind.CONFLICT,
        )


def _bring_schema(schema_name: str, allowed: Collection[SchemaSource] | None) -> SchemaSource:
    """Inside the provisioning transaction, so a rollback undoes the rename, clone or migrate."""
    if claim_pooled_schema(schema_name):
        return "pool"
    if allowed is not None and set(allowed) <= POOL_ONLY:
        logger.warning("schema pool empty: refusing %s (pool only)", schema_name)
        raise TenantError(
            TenantErrorCode.AT_CAPACITY,
            "We're at capacity right now: no new marketplace is ready to open. "
            "Please try again in a few minutes.",
            details={"retry_after": AT_CAPACITY_RETRY_SECONDS},
            kind=ErrorKind.UNAVAILABLE,
            headers={"Retry-After": str(AT_CAPACITY_RETRY_SECONDS)},
        )
    is_clone_allowed = allowed is None or "clone" in allowed
    is_migration_allowed = allowed is None or "migrations" in allowed
    if is_clone_allowed and schema_exists(settings.SOUK_TEMPLATE_SCHEMA):
        logger.warning("schema pool empty: cloning the template for %s", schema_name)
        clone_template(schema_name)
        return "clone"
    if not (is_migration_allowed and settings.SOUK_PROVISION_MIGRATE_FALLBACK):
        raise TenantError(
            TenantErrorCode.TEMPLATE_SCHEMA_MISSING,
            "No schema is ready for a new marketplace (pool empty, template schema missing); "
            "an operator must run `manage.py fill_schema_pool`.",
            details={"template_schema": settings.SOUK_TEMPLATE_SCHEMA},
            kind=ErrorKind.UNAVAILABLE,
        )
    logger.warning(
        "schema pool empty and template schema %s missing: migrating %s from scratch "
        "(run `manage.py fill_schema_pool`)",
        settings.SOUK_TEMPLATE_SCHEMA,
        schema_name,
    )
    create_migrated_schema(schema_name)
    return "migrations"
