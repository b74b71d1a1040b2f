"""Modules (``operator:modules``): every installed module, on or off within the plan, and its
settings as a form generated from its pydantic settings model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.accounts.views import operator_page
from core.errors import DomainError
from core.registry import ModuleManifest, UnknownModule, get_registry
from tenants.backoffice.setup.forms import ModuleSwitchForm
from tenants.backoffice.setup.settings_form import ModuleSettingsForm
from tenants.models import Tenant, TenantModule
from tenants.selectors import enabled_module_keys
from tenants.services.modules import set_module_enabled


@dataclass(frozen=True)
class ModuleRow:
    manifest: ModuleManifest
    is_enabled: bool
    is_in_plan: bool
    settings_form: ModuleSettingsForm | None
    error: str = ""
    # Enabled modules that already sell one of this module's product types.
    conflicts_with: tuple[str, ...] = ()

    @property
    def sells(self) -> str:
        return ", ".join(spec.label for spec in self.manifest.product_types)

    @property
    def needs(self) -> str:
        registry = get_registry()
        return ", ".join(registry.get(key).name for key in self.manifest.depends_on)


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def _manifest(key: str) -> ModuleManifest:
    try:
        return get_registry().get(key)
    except UnknownModule:
        raise Http404("No such module.") from None


def _rows(
    tenant: Tenant,
    *,
    bound: dict[str, ModuleSettingsForm] | None = None,
    errors: dict[str, str] | None = None,
) -> list[ModuleRow]:
    enabled = enabled_module_keys(tenant)
    configs = dict(TenantModule.objects.filter(tenant=tenant).values_list("key", "config"))
    rows = []
    registry = get_registry()
    for manifest in registry:
        form = (bound or {}).get(manifest.key)
        if form is None and manifest.settings_model.model_fields:
            form = ModuleSettingsForm(
                manifest.settings_model, current=configs.get(manifest.key), prefix=manifest.key
            )
        rows.append(
            ModuleRow(
                manifest=manifest,
                is_enabled=manifest.key in enabled,
                is_in_plan=tenant.plan is None or tenant.plan.allows(manifest.key),
                settings_form=form,
                error=(errors or {}).get(manifest.key, ""),
                conflicts_with=tuple(
                    registry.get(key).name
                    for key in sorted(enabled - {manifest.key})
                    if key in registry
                    and set(registry.get(key).product_type_keys) & set(manifest.product_type_keys)
                ),
            )
        )
    return rows


def _render(request: HttpRequest, rows: list[ModuleRow], status: int = 200) -> HttpResponse:
    tenant = _tenant(request)
    context: dict[str, Any] = {"rows": rows, "plan": tenant.plan}
    return render(request, "backoffice/modules.html", context, status=status)


@require_GET
@operator_page
def modules_page(request: HttpRequest) -> HttpResponse:
    return _render(request, _rows(_tenant(request)))


@require_POST
@operator_page
def switch_module(request: HttpRequest, key: str) -> HttpResponse:
    manifest = _manifest(key)
    tenant = _tenant(request)
    form = ModuleSwitchForm(request.POST)
    if not form.is_valid():
        return _render(request, _rows(tenant, errors={key: "Choose on or off."}), status=400)
    is_enabled = bool(form.cleaned_data["is_enabled"])
    try:
        set_module_enabled(tenant=tenant, key=key, is_enabled=is_enabled)
    except DomainError as error:
        return _render(request, _rows(tenant, errors={key: error.message}), status=400)
    messages.success(
        request,
        f"{manifest.name} is {'on' if is_enabled else 'off'}."
        + ("" if is_enabled else " Its pages are gone from the storefront and the navigation."),
    )
    return HttpResponseRedirect(reverse("operator:modules") + f"#module-{key}")


@require_POST
@operator_page
def module_settings(request: HttpRequest, key: str) -> HttpResponse:
    manifest = _manifest(key)
    tenant = _tenant(request)
    if key not in enabled_module_keys(tenant):
        raise Http404("Turn the module on to change its settings.")
    form = ModuleSettingsForm(manifest.settings_model, data=request.POST, prefix=key)
    if form.is_valid():
        try:
            set_module_enabled(tenant=tenant, key=key, is_enabled=True, config=form.validated)
        except DomainError as error:
            form.add_error(None, error.message)
    if not form.is_valid():
        return _render(request, _rows(tenant, bound={key: form}), status=400)
    messages.success(request, f"Settings of {manifest.name} saved.")
    return HttpResponseRedirect(reverse("operator:modules") + f"#module-{key}")
