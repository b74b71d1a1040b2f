from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "core.studio"
    label = "studio"
    verbose_name = "Seller studio"
    default_auto_field = "django.db.models.BigAutoField"
