"""Reads of the fleet shared by middleware, views, the API and services."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Min, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from core.marketplace import MarketplaceSettings
from core.money import Money
from core.registry import ModuleManifest, get_registry
from core.schema import current_schema_name
from tenants.models import Domain, PooledSchema, Tenant, TenantModule

_ENABLED_ATTR = "_souk_enabled_modules"
ENABLED_MODULES_CACHE_SECONDS = 300


def current_tenant(request: HttpRequest) -> Tenant:
    """The tenant the middleware resolved from the request's host."""
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


# A revision's module rows never change (any change makes a new revision, and the tenant row
# read with each request carries it), so this process keeps them too: a module's request
# costs no cache round trip for them.
_seen_here: dict[str, list[tuple[str, dict[str, Any]]]] = {}
SEEN_HERE_LIMIT = 4096


def forget_modules_seen_here() -> None:
    """Tests whose rolled-back transactions reuse a revision number call this between tests,
    as they clear the shared cache."""
    _seen_here.clear()


def enabled_modules(tenant: Tenant) -> dict[str, dict[str, Any]]:
    """Installed modules that are on for ``tenant``, with their stored config. Memoised on the
    tenant object, which the tenant middleware makes once per request."""
    cached: dict[str, dict[str, Any]] | None = getattr(tenant, _ENABLED_ATTR, None)
    if cached is None:
        # Also cached across requests, keyed by the tenant's modules revision.
        cache_key = f"enabled-modules:{tenant.pk}:{tenant.modules_revision}"
        rows = _seen_here.get(cache_key)
        if rows is None:
            rows = cache.get(cache_key)
            if rows is None:
                rows = list(
                    TenantModule.objects.filter(tenant_id=tenant.pk, is_enabled=True).values_list(
                        "key", "config"
                    )
                )
                cache.set(cache_key, rows, ENABLED_MODULES_CACHE_SECONDS)
            if len(_seen_here) >= SEEN_HERE_LIMIT:
                _seen_here.clear()
            _seen_here[cache_key] = rows
        registry = get_registry()
        cached = {key: copy.deepcopy(config) for key, config in rows if key in registry}
        setattr(tenant, _ENABLED_ATTR, cached)
    return cached


def enabled_module_keys(tenant: Tenant) -> frozenset[str]:
    return frozenset(enabled_modules(tenant))


def current_schema_enabled_module_keys() -> frozenset[str]:
    """Enabled modules of the tenant the database connection is set to."""
    tenant = current_tenant_row()
    return enabled_module_keys(tenant) if tenant is not None else frozenset()


def current_tenant_row() -> Tenant | None:
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant):
        return tenant
    # schema_context() sets a stand-in with no row.
    row: Tenant | None = Tenant.objects.filter(schema_name=current_schema_name()).first()
    return row


def current_marketplace_settings() -> MarketplaceSettings:
    tenant = current_tenant_row()
    if tenant is None:
        return MarketplaceSettings(name="Souk", default_currency="USD", currencies=("USD",))
    extra = tuple(c for c in tenant.extra_currencies if c != tenant.default_currency)
    return MarketplaceSettings(
        name=tenant.name,
        default_currency=tenant.default_currency,
        currencies=(tenant.default_currency, *extra),
    )


def current_primary_domain() -> str:
    """The primary domain of the tenant the connection is set to (the platform domain on the
    public schema). One indexed query; asked only when a link is built, not per request."""
    domain = (
        Domain.objects.filter(tenant__schema_name=current_schema_name(), is_primary=True)
        .values_list("domain", flat=True)
        .first()
    )
    return domain or settings.PLATFORM_DOMAIN


def pooled_schema_count() -> int:
    """Pre-migrated schemas waiting in the warm pool (the /metrics gauge)."""
    return PooledSchema.objects.count()


def forget_enabled_modules(tenant: Tenant) -> None:
    if hasattr(tenant, _ENABLED_ATTR):
        delattr(tenant, _ENABLED_ATTR)


def is_module_enabled(tenant: Tenant, key: str) -> bool:
    return key in enabled_modules(tenant)


def enabled_module_config(tenant: Tenant, key: str) -> dict[str, Any]:
    """The stored config of ``key`` where it is on for ``tenant`` (else empty: defaults). Core
    reads it through ``ModuleManifest.settings_for``, which validates it with the module's
    settings model."""
    return enabled_modules(tenant).get(key, {})


def enabled_manifests(tenant: Tenant) -> list[ModuleManifest]:
    enabled = enabled_modules(tenant)
    return [manifest for manifest in get_registry() if manifest.key in enabled]


def tenants_for_listing() -> QuerySet[Tenant]:
    tenants: QuerySet[Tenant] = (
        Tenant.objects.exclude(schema_name="public")
        .select_related("plan", "branding")
        .prefetch_related("domains", "modules")
        .order_by("-id")
    )
    return tenants


# --- the fleet overview of the platform console ------------------------------------------------

FLEET_SNAPSHOT_CACHE_KEY = "console:fleet-snapshot:v1"
FLEET_SNAPSHOT_SECONDS = 300
# Schemas asked per SQL statement: one round trip per batch, however many tenants there are.
FLEET_SCHEMAS_PER_STATEMENT = 100
PROVISIONING_DAYS = 30


@dataclass(frozen=True)
class TenantFigures:
    """One marketplace's row of the fleet overview. ``gmv`` is what buyers paid (captured
    payments, the ledger's debits to ``provider_cash``) per currency, in minor units."""

    tenant_id: int
    slug: str
    name: str
    status: str
    plan: str
    primary_domain: str
    gmv: dict[str, int]
    paid_orders: int
    outbox_pending: int
    outbox_oldest_seconds: int
    outbox_dead: int
    deadlines_failed: int

    @property
    def gmv_money(self) -> list[Money]:
        return [Money(amount, currency) for currency, amount in sorted(self.gmv.items())]

    @property
    def outbox_oldest_age(self) -> str:
        """How long the oldest undelivered event has waited, in the largest whole unit."""
        seconds = self.outbox_oldest_seconds
        for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
            if seconds >= size:
                count = seconds // size
                return f"{count} {unit}{'s' if count != 1 else ''}"
        return f"{seconds} s"

    @property
    def has_backlog(self) -> bool:
        return bool(self.outbox_pending or self.outbox_dead or self.deadlines_failed)


@dataclass(frozen=True)
class FleetSnapshot:
    taken_at: datetime
    tenants: list[TenantFigures]
    by_status: dict[str, int]
    by_plan: dict[str, int]
    created_per_day: list[tuple[date, int]]
    pool_level: int
    pool_target: int

    @property
    def gmv_total(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for row in self.tenants:
            for currency, amount in row.gmv.items():
                totals[currency] = totals.get(currency, 0) + amount
        return dict(sorted(totals.items(), key=lambda item: -item[1]))

    @property
    def gmv_total_money(self) -> list[Money]:
        return [Money(amount, currency) for currency, amount in self.gmv_total.items()]

    @property
    def outbox_pending(self) -> int:
        return sum(row.outbox_pending for row in self.tenants)

    @property
    def outbox_dead(self) -> int:
        return sum(row.outbox_dead for row in self.tenants)

    @property
    def deadlines_failed(self) -> int:
        return sum(row.deadlines_failed for row in self.tenants)

    @property
    def created_last_30_days(self) -> int:
        return sum(count for _, count in self.created_per_day)


def _schema_figures_sql(schema: str) -> str:
    """One schema's figures as rows ``(schema, metric, currency, value, extra)``. Each part
    reads an index: the ledger's ``(account, currency)``, the outbox's pending partial index;
    failed deadlines are the one count without an index of its own (a small table)."""
    from core.deadlines.models import Deadline, DeadlineStatus
    from core.events import MAX_ATTEMPTS
    from core.outbox.models import OutboxEvent
    from core.payments.ledger import PROVIDER_CASH
    from core.payments.models import EntryKind, JournalEntry, JournalLine

    quote = connection.ops.quote_name
    qs = quote(schema)
    literal = "'" + schema.replace("'", "''") + "'"
    line, entry = JournalLine._meta.db_table, JournalEntry._meta.db_table
    outbox, deadline = OutboxEvent._meta.db_table, Deadline._meta.db_table
    return f"""
    (SELECT {literal}, 'gmv', l.currency, SUM(l.amount)::bigint, COUNT(*)::bigint
       FROM {qs}.{quote(line)} l JOIN {qs}.{quote(entry)} e ON e.id = l.entry_id
      WHERE l.account = '{PROVIDER_CASH}' AND e.kind = '{EntryKind.CAPTURE.value}'
      GROUP BY l.currency)
    UNION ALL
    (SELECT {literal}, 'outbox', '', COUNT(*)::bigint,
            COALESCE(EXTRACT(EPOCH FROM now() - MIN(created_at)), 0)::bigint
       FROM {qs}.{quote(outbox)} WHERE dispatched_at IS NULL)
    UNION ALL
    (SELECT {literal}, 'outbox_dead', '', COUNT(*)::bigint, 0::bigint
       FROM {qs}.{quote(outbox)}
      WHERE dispatched_at IS NULL AND attempts >= {int(MAX_ATTEMPTS)})
    UNION ALL
    (SELECT {literal}, 'deadlines_failed', '', COUNT(*)::bigint, 0::bigint
       FROM {qs}.{quote(deadline)} WHERE status = '{DeadlineStatus.FAILED.value}')"""


_FIGURE_NAMES = (
    "gmv",
    "paid_orders",
    "outbox_pending",
    "outbox_oldest_seconds",
    "outbox_dead",
    "deadlines_failed",
)


def _figures_by_schema(schemas: list[str]) -> dict[str, dict[str, Any]]:
    """Every schema's figures, ``FLEET_SCHEMAS_PER_STATEMENT`` schemas per statement."""
    figures: dict[str, dict[str, Any]] = {
        schema: {name: {} if name == "gmv" else 0 for name in _FIGURE_NAMES} for schema in schemas
    }
    for start in range(0, len(schemas), FLEET_SCHEMAS_PER_STATEMENT):
        batch = schemas[start : start + FLEET_SCHEMAS_PER_STATEMENT]
        sql = "\nUNION ALL\n".join(_schema_figures_sql(schema) for schema in batch)
        with connection.cursor() as cursor:
            cursor.execute(sql)
            rows = cursor.fetchall()
        for schema, metric, currency, value, extra in rows:
            row = figures[schema]
            if metric == "gmv":
                row["gmv"][currency] = int(value)
                row["paid_orders"] += int(extra)
            elif metric == "outbox":
                row["outbox_pending"], row["outbox_oldest_seconds"] = int(value), int(extra)
            else:
                row[metric] = int(value)
    return figures


def compute_fleet_snapshot() -> FleetSnapshot:
    """The fleet's figures now: three queries on the public schema and one statement per
    ``FLEET_SCHEMAS_PER_STATEMENT`` tenant schemas (see ``fleet_snapshot`` for the cache)."""
    from django.db.models import Count
    from django.db.models.functions import TruncDate

    tenants = list(
        Tenant.objects.exclude(schema_name="public")
        .select_related("plan")
        .annotate(primary=Min("domains__domain", filter=Q(domains__is_primary=True)))
        .order_by("name")
    )
    now = timezone.now()
    since = (now - timedelta(days=PROVISIONING_DAYS - 1)).date()
    created = dict(
        Tenant.objects.exclude(schema_name="public")
        .filter(created_at__date__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(count=Count("id"))
        .values_list("day", "count")
    )
    figures = _figures_by_schema([tenant.schema_name for tenant in tenants])
    by_status: dict[str, int] = {}
    by_plan: dict[str, int] = {}
    rows = []
    for tenant in tenants:
        plan = tenant.plan.name if tenant.plan is not None else "No plan"
        by_status[tenant.status] = by_status.get(tenant.status, 0) + 1
        by_plan[plan] = by_plan.get(plan, 0) + 1
        rows.append(
            TenantFigures(
                tenant_id=tenant.pk,
                slug=tenant.slug,
                name=tenant.name,
                status=tenant.status,
                plan=plan,
                primary_domain=getattr(tenant, "primary", None) or "",
                **figures[tenant.schema_name],
            )
        )
    return FleetSnapshot(
        taken_at=now,
        tenants=rows,
        by_status=by_status,
        by_plan=dict(sorted(by_plan.items(), key=lambda item: -item[1])),
        created_per_day=[
            (day, created.get(day, 0))
            for day in (since + timedelta(days=offset) for offset in range(PROVISIONING_DAYS))
        ],
        pool_level=pooled_schema_count(),
        pool_target=int(settings.SOUK_SCHEMA_POOL_SIZE),
    )


def fleet_snapshot(*, refresh: bool = False) -> FleetSnapshot:
    """The fleet overview's figures, cached for ``FLEET_SNAPSHOT_SECONDS`` (staff may ask for a
    fresh one): per-tenant sums over ledgers and outboxes are not redone on every page view."""
    if not refresh:
        cached: FleetSnapshot | None = cache.get(FLEET_SNAPSHOT_CACHE_KEY)
        if isinstance(cached, FleetSnapshot):
            return cached
    snapshot = compute_fleet_snapshot()
    cache.set(FLEET_SNAPSHOT_CACHE_KEY, snapshot, FLEET_SNAPSHOT_SECONDS)
    return snapshot


def tenant_figures(tenant: Tenant) -> dict[str, Any]:
    """One marketplace's figures: from the cached fleet snapshot when there is one, else one
    statement on its schema alone (never the whole fleet for one marketplace's page)."""
    cached: FleetSnapshot | None = cache.get(FLEET_SNAPSHOT_CACHE_KEY)
    if isinstance(cached, FleetSnapshot):
        for row in cached.tenants:
            if row.tenant_id == tenant.pk:
                return {name: getattr(row, name) for name in _FIGURE_NAMES}
    return _figures_by_schema([tenant.schema_name])[tenant.schema_name]


def search_tenants(query: str, *, limit: int = 20) -> QuerySet[Tenant]:
    """Marketplaces whose name, slug, owner e-mail or any domain contains ``query``."""
    query = query.strip()
    matches = Q(name__icontains=query) | Q(slug__icontains=query)
    matches |= Q(owner_email__icontains=query) | Q(domains__domain__icontains=query)
    ids = Tenant.objects.exclude(schema_name="public").filter(matches).values("id")
    tenants: QuerySet[Tenant] = (
        Tenant.objects.filter(id__in=ids).select_related("plan").order_by("name")[:limit]
    )
    return tenants
