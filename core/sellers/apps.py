from django.apps import AppConfig


class SellersConfig(AppConfig):
    name = "core.sellers"
    label = "sellers"
    verbose_name = "Sellers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks

        from core.sellers.checks import module_permissions_check

        checks.register(module_permissions_check, "souk")
