from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "core.integrations"
    label = "integrations"
    verbose_name = "Integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.integrations import registry

        # Core's own events, then the webhook events every installed module's manifest
        # declares (a module needs no code outside its folder to have webhooks).
        registry.register_core_event_types()
        registry.register_manifest_event_types()
        # Outbox consumers of core's events; they import the tasks, so workers register them.
        from core.integrations import consumers  # noqa: F401
