from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "core"
    label = "core"
    verbose_name = "Souk core"

    def ready(self) -> None:
        from core.registry.checks import registry_check

        checks.register(registry_check, "souk")
