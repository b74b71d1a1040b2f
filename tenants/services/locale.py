"""A marketplace's clock: its time zone, an IANA name ("Europe/Berlin"), what "a day" means
for its dates (a course lesson dripped "on 1 March" opens at midnight there). Names are
checked against the zone database Python ships with (``zoneinfo``), never taken on trust."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from django.db import connection

from core.errors import ErrorKind
from tenants.errors import TenantError, TenantErrorCode
from tenants.models import Tenant

# Old aliases and POSIX-style names the database still carries; a person picks a city.
_LEGACY = ("Etc/", "SystemV/", "US/", "Canada/", "Brazil/", "Chile/", "Mexico/")


@cache
def time_zone_names() -> tuple[str, ...]:
    """The names offered to people: "UTC" and every Area/City zone, sorted."""
    names = {
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(_LEGACY) and name[0].isupper()
    }
    return ("UTC", *sorted(names))


def clean_time_zone(name: str, *, field: str = "time_zone") -> str:
    """The canonical spelling of ``name`` (any case) or a field error."""
    text = (name or "").strip()
    known = {zone.lower(): zone for zone in available_timezones()}
    found = known.get(text.lower())
    if found is None:
        raise TenantError(
            TenantErrorCode.INVALID_TIME_ZONE,
            f"'{text[:64]}' is not a time zone; use an IANA name such as Europe/Berlin "
            "or America/New_York.",
            details={"field": field},
            kind=ErrorKind.INVALID,
        )
    return found


def set_time_zone(*, tenant: Tenant, name: str) -> Tenant:
    """The operator's choice of the marketplace's clock (dates already stored stay the same
    instants; only what "a day" is changes)."""
    tenant.time_zone = clean_time_zone(name)
    tenant.save(update_fields=["time_zone"])
    return tenant


def zone_of(tenant: Tenant | None) -> ZoneInfo:
    """The marketplace's zone (UTC for the platform or a name the database no longer has)."""
    try:
        return ZoneInfo(getattr(tenant, "time_zone", "") or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def current_zone() -> ZoneInfo:
    """The zone of the marketplace the connection is on: the request's tenant as the
    middleware set it (no query), or, in a job or a shell on a bare schema, its row."""
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant) or tenant is None:
        return zone_of(tenant)
    schema: str = connection.schema_name  # type: ignore[attr-defined]  # django-tenants adds it
    name = Tenant.objects.filter(schema_name=schema).values_list("time_zone", flat=True).first()
    return zone_of(Tenant(time_zone=name) if name else None)
