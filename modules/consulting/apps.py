from django.apps import AppConfig


class ConsultingConfig(AppConfig):
    name = "modules.consulting"
    label = "consulting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Outbox consumers (booking notices) and the e-mail builders with the invites.
        from modules.consulting import consumers  # noqa: F401
