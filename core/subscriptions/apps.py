from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "core.subscriptions"
    label = "subscriptions"
    verbose_name = "Subscriptions"
    default_auto_field = "django.db.models.BigAutoField"
