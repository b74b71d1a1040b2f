"""Logo and favicon uploads: checked by their content (Pillow decodes them, whatever name or
type the browser claimed), stored in the tenant's own storage under ``<schema>/branding/``
with a name derived from the bytes, and served publicly by
``tenants.backoffice.setup.public_urls`` (``/brand-assets/<name>``)."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from enum import StrEnum
from typing import IO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import mail_admins
from django.db import transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from core.errors import ErrorKind
from core.storage import tenant_prefix
from tenants.errors import TenantError, TenantErrorCode
from tenants.models import Branding, Domain, Tenant
from tenants.services.branding import update_branding
from tenants.validation import clean_custom_domain, subdomain_for

ASSET_URL_PREFIX = "/brand-assets/"


class BrandImageKind(StrEnum):
    LOGO = "logo"
    FAVICON = "favicon"


@dataclass(frozen=True)
class ImageRules:
    max_bytes: int
    max_side: int
    formats: dict[str, str]  # Pillow format -> file extension


RULES: dict[BrandImageKind, ImageRules] = {
    BrandImageKind.LOGO: ImageRules(
        max_bytes=1024 * 1024,
        max_side=2000,
        formats={"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"},
    ),
    BrandImageKind.FAVICON: ImageRules(
        max_bytes=256 * 1024,
        max_side=512,
        formats={"PNG": "png", "ICO": "ico", "GIF": "gif"},
    ),
}
CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "ico": "image/x-icon",
}


def _invalid(field: str, message: str) -> TenantError:
    return TenantError(
        TenantErrorCode.INVALID_BRANDING,
        message,
        details=[{"field": field, "message": message}],
        kind=ErrorKind.INVALID,
    )


def checked_image(*, kind: BrandImageKind, upload: IO[bytes], size: int) -> tuple[bytes, str]:
    """The upload's bytes and file extension, or ``TenantError`` naming the field: too big,
    not an image Pillow can decode, a format not allowed for this kind (no SVG: it can carry
    script), or too many pixels."""
    rules = RULES[kind]
    field = kind.value
    if size > rules.max_bytes:
        raise _invalid(field, f"The file is too big; at most {rules.max_bytes // 1024} KB.")
    data = upload.read(rules.max_bytes + 1)
    if len(data) > rules.max_bytes:
        raise _invalid(field, f"The file is too big; at most {rules.max_bytes // 1024} KB.")
    allowed = ", ".join(sorted(rules.formats))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format or ""
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _invalid(field, f"That is not an image we can read; upload {allowed}.") from None
    if image_format not in rules.formats:
        raise _invalid(field, f"{image_format or 'That format'} is not accepted; upload {allowed}.")
    if width > rules.max_side or height > rules.max_side:
        raise _invalid(
            field, f"The image is {width}x{height} px; at most {rules.max_side} px a side."
        )
    return data, rules.formats[image_format]


def asset_storage_name(schema_name: str, name: str) -> str:
    return f"{tenant_prefix(schema_name)}branding/{name}"


def store_brand_image(
    *, tenant: Tenant, kind: BrandImageKind, upload: IO[bytes], size: int
) -> Branding:
    """Check, store and use an uploaded logo or favicon (call in the tenant's schema)."""
    data, extension = checked_image(kind=kind, upload=upload, size=size)
    name = f"{kind.value}-{hashlib.sha256(data).hexdigest()[:16]}.{extension}"
    storage_name = asset_storage_name(tenant.schema_name, name)
    if not default_storage.exists(storage_name):
        default_storage.save(storage_name, ContentFile(data))
    return update_branding(tenant=tenant, changes={f"{kind.value}_url": ASSET_URL_PREFIX + name})


def remove_brand_image(*, tenant: Tenant, kind: BrandImageKind) -> Branding:
    """Stop using the logo or favicon (the stored file stays: old pages may still show it)."""
    return update_branding(tenant=tenant, changes={f"{kind.value}_url": ""})


@transaction.atomic
def request_custom_domain(*, tenant: Tenant, domain: str, requested_by: str) -> Branding:
    """Record the operator's wish for a custom domain and tell the platform: staff add it
    (``add_domain``) once its DNS points at the platform; until then it is only a request."""
    cleaned = clean_custom_domain(domain)
    if Domain.objects.filter(domain=cleaned).exists():
        raise TenantError(
            TenantErrorCode.DOMAIN_TAKEN,
            f"{cleaned} is already in use.",
            details=[{"field": "domain", "message": f"{cleaned} is already in use."}],
            kind=ErrorKind.CONFLICT,
        )
    branding = Branding.objects.select_for_update().get(tenant=tenant)
    branding.requested_domain = cleaned
    branding.domain_requested_at = timezone.now()
    branding.save(update_fields=["requested_domain", "domain_requested_at"])
    message = (
        f"{requested_by} asked for {tenant.name} ({tenant.slug}) to answer on {cleaned}.\n"
        f"Once {cleaned} has a CNAME record to {subdomain_for(tenant.slug)}, add it in the "
        f"console (Domains) or with POST /api/platform/v1/tenants/{tenant.slug}/domains."
    )
    transaction.on_commit(
        lambda: mail_admins(f"Custom domain requested: {cleaned}", message, fail_silently=True)
    )
    return branding
