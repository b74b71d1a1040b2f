from django.apps import AppConfig


class SellersConfig(AppConfig):
    name = "core.sellers"
    label = "sellers"
    verbose_name = "Sellers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks

        from core.automod.models import ContentKind
        from core.automod.services.decisions import register_hold_handlers
        from core.sellers.checks import module_permissions_check
        from core.sellers.services.onboarding import release_held_bio, remove_held_bio

        register_hold_handlers(
            ContentKind.PROFILE, remove=remove_held_bio, release=release_held_bio
        )

        checks.register(module_permissions_check, "souk")
