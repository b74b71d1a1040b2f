from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "core.accounts"
    label = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from core.accounts.session_policy import stamp_new_session

        user_logged_in.connect(stamp_new_session, dispatch_uid="souk-privileged-session-stamp")

        from django.db.models.signals import post_delete, post_save

        from core.accounts.models import User
        from core.accounts.services.tokens import forget_changed_user

        # Tokens' cached users (token_user) never outlive a change to the row.
        for signal in (post_save, post_delete):
            signal.connect(forget_changed_user, sender=User, dispatch_uid="souk-token-user")
