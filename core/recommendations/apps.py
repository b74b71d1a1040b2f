from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "core.recommendations"
    label = "recommendations"
    verbose_name = "Recommendations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.recommendations import consumers  # noqa: F401  (registers outbox consumers)
