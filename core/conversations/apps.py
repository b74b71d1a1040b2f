from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "core.conversations"
    label = "conversations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.conversations.selectors import can_join
        from core.realtime.topics import register_topic

        # Only participants hear a conversation; the only thing clients may say in it
        # over the socket is that they are typing (messages go through the API).
        register_topic("conversation", can_join, relayed_client_events=("chat.typing",))
