from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "tenants.backoffice"
    label = "backoffice"
    verbose_name = "Operator back-office"
    default_auto_field = "django.db.models.BigAutoField"
