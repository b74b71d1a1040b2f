from django.apps import AppConfig


class ConsultingConfig(AppConfig):
    name = "modules.consulting"
    label = "consulting"
    default_auto_field = "django.db.models.BigAutoField"
