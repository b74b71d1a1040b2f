"""Branding input: validated before it reaches the database (which checks colours again)."""

from __future__ import annotations

import re
from typing import Annotated

from django.conf import settings
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from core.errors import ErrorKind
from core.schemas import model_max_length
from tenants.errors import TenantError, TenantErrorCode
from tenants.models import Branding, Font, Tenant

HexColour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
# An image uploaded in the back-office, served from the tenant's storage (branding_assets.py).
BRAND_ASSET_PATTERN = r"^/brand-assets/(logo|favicon)-[0-9a-f]{16}\.(png|jpg|webp|gif|ico)$"
_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


class BrandingSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    theme: str = Field(default="base", max_length=model_max_length(Branding, "theme"))
    tagline: str = Field(default="", max_length=model_max_length(Branding, "tagline"))
    # An http(s) URL, or the path of an uploaded logo.
    logo_url: str | None = Field(default=None, max_length=model_max_length(Branding, "logo_url"))
    favicon_url: str | None = Field(default=None, pattern=BRAND_ASSET_PATTERN)
    primary_colour: HexColour = "#2f6fde"
    accent_colour: HexColour = "#f5a623"
    background_colour: HexColour = "#ffffff"
    text_colour: HexColour = "#1b1f24"
    font: Font = Font.SYSTEM

    @field_validator("logo_url", "favicon_url", mode="before")
    @classmethod
    def blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("logo_url")
    @classmethod
    def logo_is_a_url_or_an_upload(cls, value: str | None) -> str | None:
        if value is None or re.match(BRAND_ASSET_PATTERN, value):
            return value
        try:
            return str(_HTTP_URL.validate_python(value))
        except ValidationError:
            raise ValueError("Input should be a valid URL or an uploaded image") from None

    @field_validator("theme")
    @classmethod
    def theme_is_installed(cls, value: str) -> str:
        if value not in settings.SOUK_THEMES:
            raise ValueError(f"unknown theme; choose one of {', '.join(settings.SOUK_THEMES)}")
        return value


def parse_branding(raw: BrandingSpec | dict[str, object] | None) -> BrandingSpec:
    if isinstance(raw, BrandingSpec):
        return raw
    try:
        return BrandingSpec.model_validate(raw or {})
    except ValidationError as exc:
        raise TenantError(
            TenantErrorCode.INVALID_BRANDING,
            "The branding is not valid.",
            details=[
                {"field": ".".join(str(p) for p in error["loc"]), "message": error["msg"]}
                for error in exc.errors()
            ],
            kind=ErrorKind.INVALID,
        ) from None


def write_branding(*, tenant: Tenant, display_name: str, spec: BrandingSpec) -> Branding:
    values = spec.model_dump(mode="json")
    values["logo_url"] = values["logo_url"] or ""
    values["favicon_url"] = values["favicon_url"] or ""
    branding, _ = Branding.objects.update_or_create(
        tenant=tenant, defaults={"display_name": display_name, **values}
    )
    return branding


def update_branding(*, tenant: Tenant, changes: dict[str, object]) -> Branding:
    """Apply some branding fields, re-validating the whole set."""
    branding = Branding.objects.get(tenant=tenant)
    current = {name: getattr(branding, name) for name in BrandingSpec.model_fields}
    current["logo_url"] = current["logo_url"] or None
    current["favicon_url"] = current["favicon_url"] or None
    display_name = str(changes.pop("display_name", branding.display_name))
    spec = parse_branding({**current, **changes})
    return write_branding(tenant=tenant, display_name=display_name, spec=spec)
