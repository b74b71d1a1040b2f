from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "core.subscriptions"
    label = "subscriptions"
    verbose_name = "Subscriptions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.subscriptions import consumers  # noqa: F401  (registers outbox consumers)
