from django.apps import AppConfig


class GigsConfig(AppConfig):
    name = "modules.gigs"
    label = "gigs"
    verbose_name = "Gigs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Outbox consumers: webhooks to the seller and notifications (the event and
        # notification types themselves are declared in the manifest).
        from modules.gigs import consumers  # noqa: F401
