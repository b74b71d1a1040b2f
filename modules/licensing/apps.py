from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "modules.licensing"
    label = "licensing"
    verbose_name = "Software licensing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.integrations.registry import register_call_kinds, register_dashboard_section

        # Outbox consumers: licences; provisioning and licence webhooks (these register their
        # tasks). The webhook event types themselves are declared in the manifest.
        from modules.licensing import consumers, consumers_integration  # noqa: F401
        from modules.licensing.manifest import manifest
        from modules.licensing.models import ProvisioningCallKind
        from modules.licensing.selectors import integration_section

        register_call_kinds(manifest.key, dict(ProvisioningCallKind.choices))
        register_dashboard_section(
            manifest.key,
            template="licensing/integration_accounts.html",
            context=integration_section,
        )
