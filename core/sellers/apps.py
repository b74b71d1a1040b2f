from django.apps import AppConfig


class SellersConfig(AppConfig):
    name = "core.sellers"
    label = "sellers"
    verbose_name = "Sellers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks
        from django.db.models.signals import post_save

        from core.automod.models import ContentKind
        from core.automod.services.decisions import register_hold_handlers
        from core.sellers.checks import module_permissions_check
        from core.sellers.models import Seller
        from core.sellers.services.onboarding import (
            release_held_bio,
            remove_held_bio,
            seller_changed,
        )

        # A seller's public profile is on cached storefront pages (core.storefront.page_cache).
        post_save.connect(seller_changed, sender=Seller, dispatch_uid="pages-seller")
        register_hold_handlers(
            ContentKind.PROFILE, remove=remove_held_bio, release=release_held_bio
        )

        checks.register(module_permissions_check, "souk")
