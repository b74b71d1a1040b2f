from django.apps import AppConfig


class SellersConfig(AppConfig):
    name = "core.sellers"
    label = "sellers"
    verbose_name = "Sellers"
    default_auto_field = "django.db.models.BigAutoField"
