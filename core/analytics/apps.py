from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "core.analytics"
    label = "analytics"
    verbose_name = "Analytics and conversion tracking"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.analytics import consumers  # noqa: F401  (registers outbox consumers)
