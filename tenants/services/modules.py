"""Turning modules on and off for a tenant, with validated per-tenant config."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import F
from django_tenants.utils import schema_context
from pydantic import ValidationError

from core import cache_versions
from core.errors import ErrorKind
from core.registry import ModuleManifest, UnknownModule, get_registry
from tenants.errors import TenantError, TenantErrorCode
from tenants.models import Plan, Tenant, TenantModule
from tenants.selectors import enabled_module_keys, forget_enabled_modules


def _manifest(key: str) -> ModuleManifest:
    try:
        return get_registry().get(key)
    except UnknownModule:
        raise TenantError(
            TenantErrorCode.UNKNOWN_MODULE,
            f"There is no module called '{key}'.",
            details={"module": key, "available": get_registry().keys()},
            kind=ErrorKind.INVALID,
        ) from None


def validated_config(manifest: ModuleManifest, config: Mapping[str, Any] | None) -> dict[str, Any]:
    try:
        return manifest.validate_config(dict(config or {}))
    except ValidationError as exc:
        raise TenantError(
            TenantErrorCode.INVALID_MODULE_CONFIG,
            f"The settings for module '{manifest.key}' are not valid.",
            details=[
                {"field": ".".join(str(p) for p in error["loc"]), "message": error["msg"]}
                for error in exc.errors()
            ],
            kind=ErrorKind.INVALID,
        ) from None


def _check_plan(plan: Plan | None, key: str) -> None:
    if plan is not None and not plan.allows(key):
        raise TenantError(
            TenantErrorCode.MODULE_NOT_IN_PLAN,
            f"The {plan.name} plan does not include the '{key}' module.",
            details={"module": key, "plan": plan.slug},
            kind=ErrorKind.INVALID,
        )


def resolve_module_selection(
    *,
    plan: Plan | None,
    requested: Iterable[str] | None,
    configs: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Keys to enable at provisioning (dependencies added, dependencies first) with their
    validated config. ``requested=None`` means the modules that are on by default."""
    registry = get_registry()
    configs = configs or {}
    if requested is None:
        requested = []
        for m in registry:
            if not m.is_default_enabled or (plan is not None and not plan.allows(m.key)):
                continue
            taken = {t for key in requested for t in registry.get(key).product_type_keys}
            if not taken & set(m.product_type_keys):  # the first listed seller of a type wins
                requested.append(m.key)
    for key in configs:
        if key not in set(requested):
            raise TenantError(
                TenantErrorCode.INVALID_MODULE_CONFIG,
                f"Settings were given for module '{key}', which is not being enabled.",
                details={"module": key},
                kind=ErrorKind.INVALID,
            )
    selection: dict[str, dict[str, Any]] = {}
    for key in requested:
        _check_no_conflict(_manifest(key), set(requested) - {key})
        _manifest(key)  # an unknown key is the caller's error, named as such
        for needed in [*registry.dependency_closure(key), key]:
            _check_plan(plan, needed)
            if needed not in selection:
                selection[needed] = validated_config(registry.get(needed), configs.get(needed))
    return selection


@transaction.atomic
def set_module_enabled(
    *, tenant: Tenant, key: str, is_enabled: bool, config: Mapping[str, Any] | None = None
) -> TenantModule:
    """Enable (dependencies must be on) or disable (no enabled module may depend on it).
    ``config=None`` keeps the stored config."""
    manifest = _manifest(key)
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()  # serialise per tenant
    forget_enabled_modules(tenant)
    enabled = enabled_module_keys(tenant)
    if is_enabled:
        _check_plan(tenant.plan, key)
        _check_no_conflict(manifest, enabled - {key})
        missing = [d for d in manifest.depends_on if d not in enabled]
        if missing:
            raise TenantError(
                TenantErrorCode.MODULE_DEPENDENCY_MISSING,
                f"Enable {', '.join(missing)} before '{key}'.",
                details={"module": key, "missing": missing},
                kind=ErrorKind.CONFLICT,
            )
    else:
        dependents = [d for d in get_registry().dependents(key) if d in enabled]
        if dependents:
            raise TenantError(
                TenantErrorCode.MODULE_HAS_DEPENDENTS,
                f"Disable {', '.join(dependents)} first; they need '{key}'.",
                details={"module": key, "dependents": dependents},
                kind=ErrorKind.CONFLICT,
            )
    row = TenantModule.objects.filter(tenant=tenant, key=key).first()
    stored = row.config if row else {}
    new_config = validated_config(manifest, stored if config is None else config)
    row, _ = TenantModule.objects.update_or_create(
        tenant=tenant, key=key, defaults={"is_enabled": is_enabled, "config": new_config}
    )
    Tenant.objects.filter(pk=tenant.pk).update(modules_revision=F("modules_revision") + 1)
    tenant.refresh_from_db(fields=["modules_revision"])
    forget_enabled_modules(tenant)
    # What the catalogue shows depends on which modules are on.
    with schema_context(tenant.schema_name):
        cache_versions.bump(cache_versions.CATALOG)
    return row


def _check_no_conflict(manifest: ModuleManifest, others: Iterable[str]) -> None:
    """A tenant runs one module per product type: two would both fulfil the same lines."""
    registry = get_registry()
    for other in others:
        if other not in registry:
            continue
        shared = set(manifest.product_type_keys) & set(registry.get(other).product_type_keys)
        if shared:
            raise TenantError(
                TenantErrorCode.MODULE_CONFLICT,
                f"'{other}' already sells {', '.join(sorted(shared))} here; disable it first.",
                details={"module": manifest.key, "conflicts_with": other},
                kind=ErrorKind.CONFLICT,
            )
