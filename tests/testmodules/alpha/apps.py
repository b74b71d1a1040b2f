from django.apps import AppConfig


class AlphaConfig(AppConfig):
    name = "tests.testmodules.alpha"
    label = "alpha"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tests.testmodules.alpha import hooks  # noqa: F401  (registers the outbox consumer)
