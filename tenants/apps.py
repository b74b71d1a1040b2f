from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate, post_save

        from core.marketplace import set_marketplace_provider, set_primary_domain_provider
        from core.metrics import set_pool_size_provider
        from core.registry.config import set_module_config_provider
        from core.registry.enablement import set_enabled_modules_provider
        from tenants.backoffice.models import LegalPage
        from tenants.models import Branding, Tenant
        from tenants.selectors import (
            current_marketplace_settings,
            current_primary_domain,
            current_schema_enabled_module_keys,
            enabled_module_config,
            pooled_schema_count,
        )
        from tenants.services.page_versions import legal_page_changed, tenant_changed
        from tenants.services.platform import ensure_platform_tenant_after_migrate

        post_migrate.connect(ensure_platform_tenant_after_migrate, sender=self)
        set_enabled_modules_provider(current_schema_enabled_module_keys)
        set_module_config_provider(enabled_module_config)
        set_marketplace_provider(current_marketplace_settings)
        set_primary_domain_provider(current_primary_domain)
        set_pool_size_provider(pooled_schema_count)
        # Cached storefront pages (core.storefront.page_cache) show the branding, the
        # marketplace's settings and its legal pages: a change replaces them at once.
        for model in (Branding, Tenant):
            post_save.connect(tenant_changed, sender=model, dispatch_uid=f"pages-{model.__name__}")
        post_save.connect(legal_page_changed, sender=LegalPage, dispatch_uid="pages-legal-save")
        post_delete.connect(legal_page_changed, sender=LegalPage, dispatch_uid="pages-legal-del")
