"""The only writers of the fleet. Callers (console, API, sign-up form, commands) parse input,
call one of these and render the result."""

from tenants.services.branding import update_branding
from tenants.services.domains import add_domain, remove_domain, set_primary_domain
from tenants.services.lifecycle import (
    delete_tenant,
    resume_tenant,
    suspend_tenant,
    update_tenant,
)
from tenants.services.modules import set_module_enabled
from tenants.services.provision_tenant import ProvisionedTenant, provision_tenant
from tenants.services.schema_pool import ensure_template_schema, fill_schema_pool

__all__ = [
    "ProvisionedTenant",
    "add_domain",
    "delete_tenant",
    "ensure_template_schema",
    "fill_schema_pool",
    "provision_tenant",
    "remove_domain",
    "resume_tenant",
    "set_module_enabled",
    "set_primary_domain",
    "suspend_tenant",
    "update_branding",
    "update_tenant",
]
