"""A tenant's domains: its platform subdomain and any custom domains, exactly one primary."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from core.errors import ErrorKind
from tenants.errors import TenantError, TenantErrorCode
from tenants.models import Domain, Tenant
from tenants.validation import clean_custom_domain


def _domain_of(tenant: Tenant, domain: str) -> Domain:
    found: Domain | None = Domain.objects.filter(
        tenant=tenant, domain=domain.strip().lower()
    ).first()
    if found is None:
        raise TenantError(
            TenantErrorCode.DOMAIN_NOT_FOUND,
            f"'{domain[:80]}' is not a domain of this marketplace.",
            kind=ErrorKind.NOT_FOUND,
        )
    return found


@transaction.atomic
def add_domain(*, tenant: Tenant, domain: str, is_primary: bool = False) -> Domain:
    cleaned = clean_custom_domain(domain)
    if Domain.objects.filter(domain=cleaned).exists():
        raise TenantError(
            TenantErrorCode.DOMAIN_TAKEN,
            f"{cleaned} is already in use.",
            details={"field": "domain", "value": cleaned},
            kind=ErrorKind.CONFLICT,
        )
    try:
        with transaction.atomic():
            created: Domain = Domain.objects.create(
                tenant=tenant, domain=cleaned, is_primary=False, is_custom=True
            )
    except IntegrityError:
        raise TenantError(
            TenantErrorCode.DOMAIN_TAKEN, f"{cleaned} is already in use.", kind=ErrorKind.CONFLICT
        ) from None
    if is_primary:
        return set_primary_domain(tenant=tenant, domain=cleaned)
    return created


@transaction.atomic
def set_primary_domain(*, tenant: Tenant, domain: str) -> Domain:
    target = _domain_of(tenant, domain)
    Domain.objects.filter(tenant=tenant, is_primary=True).exclude(pk=target.pk).update(
        is_primary=False
    )
    Domain.objects.filter(pk=target.pk).update(is_primary=True)
    target.refresh_from_db()
    return target


@transaction.atomic
def remove_domain(*, tenant: Tenant, domain: str) -> None:
    target = _domain_of(tenant, domain)
    if target.is_primary:
        raise TenantError(
            TenantErrorCode.PRIMARY_DOMAIN_REQUIRED,
            "Make another domain primary before removing this one.",
            kind=ErrorKind.CONFLICT,
        )
    target.delete()
