from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "modules.licensing"
    label = "licensing"
    verbose_name = "Software licensing"
    default_auto_field = "django.db.models.BigAutoField"
