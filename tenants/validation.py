"""Checks of outside input shared by the services: slugs, host names, e-mail addresses."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.accounts.validation import is_reserved_email
from tenants.errors import TenantError, TenantErrorCode

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def clean_slug(raw: str) -> str:
    slug = raw.strip().lower()
    if not SLUG_PATTERN.match(slug) or "--" in slug:
        raise TenantError(
            TenantErrorCode.INVALID_SLUG,
            "The address must be 3-40 characters: lowercase letters, digits and single "
            "hyphens, starting with a letter.",
            details={"field": "slug", "value": raw[:80]},
        )
    if slug in settings.SOUK_RESERVED_SLUGS or slug.startswith(("pg-", "pool-", "souk-")):
        raise TenantError(
            TenantErrorCode.RESERVED_SLUG,
            f"'{slug}' is reserved; please choose another address.",
            details={"field": "slug", "value": slug},
        )
    return slug


def schema_name_for(slug: str) -> str:
    """Tenant schemas live in their own namespace, apart from pool_*, souk_* and pg_*."""
    return "t_" + slug.replace("-", "_")


def clean_domain(raw: str, *, field: str = "domain") -> str:
    domain = raw.strip().lower().rstrip(".")
    labels = domain.split(".")
    if (
        len(domain) > 253
        or len(labels) < 2
        or not all(HOST_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise TenantError(
            TenantErrorCode.INVALID_DOMAIN,
            f"'{raw[:80]}' is not a valid host name (like shop.example.com).",
            details={"field": field, "value": raw[:80]},
        )
    return domain


def clean_custom_domain(raw: str, *, field: str = "domain") -> str:
    domain = clean_domain(raw, field=field)
    platform = settings.PLATFORM_DOMAIN
    if domain == platform or domain.endswith("." + platform):
        raise TenantError(
            TenantErrorCode.INVALID_DOMAIN,
            f"Custom domains cannot be under the platform domain {platform}.",
            details={"field": field, "value": domain},
        )
    return domain


def subdomain_for(slug: str) -> str:
    return f"{slug}.{settings.PLATFORM_DOMAIN}"


def clean_email(raw: str, *, field: str = "owner_email") -> str:
    email = raw.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise TenantError(
            TenantErrorCode.INVALID_EMAIL,
            "Enter a valid e-mail address.",
            details={"field": field},
        ) from None
    if is_reserved_email(email):
        raise TenantError(
            TenantErrorCode.INVALID_EMAIL,
            "Addresses under this domain are reserved for the platform's support staff.",
            details={"field": field},
        )
    return email
