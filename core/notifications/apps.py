from django.apps import AppConfig
from django.core import checks


class NotificationsConfig(AppConfig):
    name = "core.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.notifications import consumers  # noqa: F401  (registers outbox consumers)
        from core.notifications.checks import notification_types_check

        checks.register(notification_types_check)
