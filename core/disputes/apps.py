from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "core.disputes"
    label = "disputes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.commerce.services.escrow import register_release_guard
        from core.disputes import consumers  # noqa: F401  (registers outbox consumers)
        from core.disputes.services import line_is_frozen
        from core.disputes.topics import can_join_dispute
        from core.realtime.topics import register_topic

        register_release_guard(line_is_frozen)
        register_topic("dispute", can_join_dispute)
