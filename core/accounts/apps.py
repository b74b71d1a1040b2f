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
