"""Sellers set up their software products: the details record (one-time or subscription,
manual or automatic provisioning, trial) and the policies that say what a licence allows.

Every check names the field it is about, so the API and the pages can show the error beside
it. A product of another seller, or one that is not software, does not exist here (404)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.db import transaction

from core.catalog.errors import CatalogError, CatalogErrorCode
from core.catalog.models import Product
from core.errors import ErrorKind
from core.sellers.models import Seller
from modules.licensing.errors import LicensingError, LicensingErrorCode
from modules.licensing.models import (
    LicenseType,
    MissedHeartbeat,
    Policy,
    Provisioning,
    SoftwareDetails,
)

SOFTWARE = "software"
MAX_ACTIVATIONS = 100_000
MAX_DURATION_DAYS = 36_500
MIN_HEARTBEAT_SECONDS = 60
MAX_HEARTBEAT_SECONDS = 30 * 86_400
MAX_ENTITLEMENTS = 50
MAX_POLICIES = 20
ENTITLEMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,59}$")


@dataclass
class SoftwareData:
    license_type: str = LicenseType.ONE_TIME
    provisioning: str = Provisioning.MANUAL
    provisioning_url: str = ""
    deprovisioning_url: str = ""
    integration_notes: str = ""
    trial_days: int = 0


@dataclass
class PolicyData:
    name: str
    max_activations: int = 1
    is_floating: bool = False
    duration_days: int | None = None
    is_heartbeat_required: bool = False
    heartbeat_interval_seconds: int = 3600
    on_missed_heartbeat: str = MissedHeartbeat.DEACTIVATE
    entitlements: list[str] = field(default_factory=list)
    is_license_per_seat: bool = False


def invalid(field_name: str, message: str) -> LicensingError:
    return LicensingError(
        LicensingErrorCode.INVALID_POLICY,
        message,
        details={"field": field_name},
        kind=ErrorKind.INVALID,
    )


def policy_not_found() -> LicensingError:
    return LicensingError(
        LicensingErrorCode.POLICY_NOT_FOUND, "No such policy.", kind=ErrorKind.NOT_FOUND
    )


def sellers_software(*, seller: Seller, product_id: int) -> Product:
    """The seller's own software product, or 404 (another seller's does not exist here)."""
    product = Product.objects.filter(pk=product_id, seller=seller, product_type=SOFTWARE).first()
    if product is None:
        raise CatalogError(
            CatalogErrorCode.PRODUCT_NOT_FOUND, "No such product.", kind=ErrorKind.NOT_FOUND
        )
    return product


def _clean_url(value: str, field_name: str) -> str:
    url = value.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname or len(url) > 500:
        raise invalid(field_name, "Give an http(s) URL of at most 500 characters.")
    return url


def _clean_details(data: SoftwareData) -> SoftwareData:
    if data.license_type not in LicenseType.values:
        raise invalid("license_type", f"Choose one of {', '.join(LicenseType.values)}.")
    if data.provisioning not in Provisioning.values:
        raise invalid("provisioning", f"Choose one of {', '.join(Provisioning.values)}.")
    provisioning_url = _clean_url(data.provisioning_url, "provisioning_url")
    deprovisioning_url = _clean_url(data.deprovisioning_url, "deprovisioning_url")
    if data.provisioning == Provisioning.AUTOMATIC and not provisioning_url:
        raise invalid("provisioning_url", "Automatic provisioning needs the endpoint to call.")
    if not 0 <= data.trial_days <= 365:
        raise invalid("trial_days", "Trials are 0-365 days.")
    notes = data.integration_notes.strip()
    if len(notes) > 4000:
        raise invalid("integration_notes", "At most 4,000 characters.")
    return SoftwareData(
        license_type=data.license_type,
        provisioning=data.provisioning,
        provisioning_url=provisioning_url,
        deprovisioning_url=deprovisioning_url,
        integration_notes=notes,
        trial_days=data.trial_days,
    )


def clean_entitlements(codes: list[str], *, field_name: str = "entitlements") -> list[str]:
    """Feature codes, each once, in the order given (codes are case-sensitive)."""
    cleaned = list(dict.fromkeys(code.strip() for code in codes))
    if len(cleaned) > MAX_ENTITLEMENTS:
        raise invalid(field_name, f"At most {MAX_ENTITLEMENTS} entitlements.")
    bad = [code for code in cleaned if not ENTITLEMENT.match(code)]
    if bad:
        raise invalid(
            field_name,
            f"Entitlement codes are 1-60 letters, digits, '_', '.', ':' or '-' "
            f"(not {bad[0][:60]!r}).",
        )
    return cleaned


def _clean_policy(data: PolicyData) -> PolicyData:
    name = " ".join(data.name.split())
    if not 1 <= len(name) <= 80:
        raise invalid("name", "Policy names are 1-80 characters.")
    if not 1 <= data.max_activations <= MAX_ACTIVATIONS:
        raise invalid("max_activations", f"Between 1 and {MAX_ACTIVATIONS:,} machines.")
    if data.duration_days is not None and not 1 <= data.duration_days <= MAX_DURATION_DAYS:
        raise invalid("duration_days", "Between 1 and 36,500 days, or empty for no expiry.")
    if not MIN_HEARTBEAT_SECONDS <= data.heartbeat_interval_seconds <= MAX_HEARTBEAT_SECONDS:
        raise invalid(
            "heartbeat_interval_seconds", "Between 60 seconds and 30 days (2,592,000 seconds)."
        )
    if data.on_missed_heartbeat not in MissedHeartbeat.values:
        raise invalid("on_missed_heartbeat", f"Choose one of {', '.join(MissedHeartbeat.values)}.")
    return PolicyData(
        name=name,
        max_activations=data.max_activations,
        is_floating=data.is_floating,
        duration_days=data.duration_days,
        is_heartbeat_required=data.is_heartbeat_required,
        heartbeat_interval_seconds=data.heartbeat_interval_seconds,
        on_missed_heartbeat=data.on_missed_heartbeat,
        entitlements=clean_entitlements(data.entitlements),
        is_license_per_seat=data.is_license_per_seat,
    )


@transaction.atomic
def set_up_software(*, product: Product, data: SoftwareData) -> SoftwareDetails:
    """Create or replace the product's details record (the default policy is kept)."""
    cleaned = _clean_details(data)
    details, _ = SoftwareDetails.objects.select_for_update().get_or_create(product=product)
    details.license_type = cleaned.license_type
    details.provisioning = cleaned.provisioning
    details.provisioning_url = cleaned.provisioning_url
    details.deprovisioning_url = cleaned.deprovisioning_url
    details.integration_notes = cleaned.integration_notes
    details.trial_days = cleaned.trial_days
    details.save()
    return details


@transaction.atomic
def create_policy(*, product: Product, data: PolicyData, is_default: bool = False) -> Policy:
    """A new policy of the product; the first one (or ``is_default``) becomes the default that
    checkout issues licences under."""
    cleaned = _clean_policy(data)
    details, _ = SoftwareDetails.objects.select_for_update().get_or_create(product=product)
    if Policy.objects.filter(product=product).count() >= MAX_POLICIES:
        raise invalid("name", f"A product has at most {MAX_POLICIES} policies.")
    policy = Policy.objects.create(product=product, **vars(cleaned))
    if is_default or details.default_policy_id is None:
        details.default_policy = policy
        details.save(update_fields=["default_policy"])
    return policy


@transaction.atomic
def update_policy(*, policy: Policy, data: PolicyData, is_default: bool = False) -> Policy:
    """Change a policy; licences issued under it follow the change (their own overrides stay)."""
    cleaned = _clean_policy(data)
    locked = Policy.objects.select_for_update().get(pk=policy.pk)
    for name, value in vars(cleaned).items():
        setattr(locked, name, value)
    locked.save()
    if is_default:
        SoftwareDetails.objects.filter(product_id=locked.product_id).update(default_policy=locked)
    return locked


def products_policy(*, product: Product, policy_id: int) -> Policy:
    policy = Policy.objects.filter(pk=policy_id, product=product).first()
    if policy is None:
        raise policy_not_found()
    return policy


@transaction.atomic
def default_policy_for(*, product: Product) -> Policy:
    """The policy checkout issues under. A product sold before its seller set it up gets a
    one-machine, perpetual default, so a paid line is never stuck waiting for set-up."""
    details, _ = SoftwareDetails.objects.select_for_update().get_or_create(product=product)
    if details.default_policy_id is not None:
        policy = Policy.objects.filter(pk=details.default_policy_id).first()
        if policy is not None:
            return policy
    policy = Policy.objects.filter(product=product).order_by("id").first()
    if policy is None:
        policy = Policy.objects.create(product=product, name="Standard")
    details.default_policy = policy
    details.save(update_fields=["default_policy"])
    return policy
