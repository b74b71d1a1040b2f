from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "modules.licensing"
    label = "licensing"
    verbose_name = "Software licensing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Outbox consumers: licences; provisioning and webhooks (these register their tasks).
        from modules.licensing import consumers, consumers_integration  # noqa: F401
