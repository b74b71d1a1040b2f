from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "core.reviews"
    label = "reviews"
    verbose_name = "Reviews"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.automod.models import ContentKind
        from core.automod.services.decisions import register_hold_handlers
        from core.reviews.services.moderation import release_held_review, remove_held_review

        register_hold_handlers(
            ContentKind.REVIEW,
            remove=lambda operator, review_id, reason: remove_held_review(
                operator=operator, review_id=review_id, reason=reason
            ),
            release=lambda operator, decision: release_held_review(
                operator=operator, review_id=decision.object_id
            ),
        )
