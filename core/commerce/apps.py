from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "core.commerce"
    label = "commerce"
    verbose_name = "Commerce"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.commerce import consumers  # noqa: F401  (registers outbox consumers)
