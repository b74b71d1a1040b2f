from django.apps import AppConfig


class AutomodConfig(AppConfig):
    name = "core.automod"
    label = "automod"
    verbose_name = "Automated moderation"
    default_auto_field = "django.db.models.BigAutoField"
