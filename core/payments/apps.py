from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "core.payments"
    label = "payments"
    verbose_name = "Payments and ledger"
    default_auto_field = "django.db.models.BigAutoField"
