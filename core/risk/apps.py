from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "core.risk"
    label = "risk"
    verbose_name = "Fraud risk"
    default_auto_field = "django.db.models.BigAutoField"
