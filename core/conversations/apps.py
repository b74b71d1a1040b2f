from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "core.conversations"
    label = "conversations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.automod.models import ContentKind
        from core.automod.services.decisions import register_hold_handlers
        from core.conversations.selectors import can_join
        from core.conversations.services.moderation import (
            release_held_message,
            remove_held_message,
        )
        from core.realtime.topics import register_topic

        # Only participants hear a conversation; the only thing clients may say in it
        # over the socket is that they are typing (messages go through the API).
        register_topic("conversation", can_join, relayed_client_events=("chat.typing",))
        register_hold_handlers(
            ContentKind.MESSAGE,
            remove=lambda operator, message_id, reason: remove_held_message(
                message_id=message_id, operator_id=operator.pk
            ),
            release=lambda operator, decision: release_held_message(
                message_id=decision.object_id, operator_id=operator.pk
            ),
        )
