from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "core.storefront"
    label = "storefront"
    verbose_name = "Storefront"
