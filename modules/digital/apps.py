from django.apps import AppConfig


class DigitalConfig(AppConfig):
    name = "modules.digital"
    label = "digital"
    default_auto_field = "django.db.models.BigAutoField"
