from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from tenants.services.platform import ensure_platform_tenant_after_migrate

        post_migrate.connect(ensure_platform_tenant_after_migrate, sender=self)
