from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "core.catalog"
    label = "catalog"
    verbose_name = "Catalogue"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.automod.models import ContentKind
        from core.automod.services.decisions import register_hold_handlers
        from core.catalog import consumers  # noqa: F401  (registers outbox consumers)
        from core.catalog.services.moderation import release_held_listing, remove_held_listing

        register_hold_handlers(
            ContentKind.LISTING, remove=remove_held_listing, release=release_held_listing
        )
