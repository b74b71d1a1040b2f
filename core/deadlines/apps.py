from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "core.deadlines"
    label = "deadlines"
    verbose_name = "Deadlines"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each installed app (core app or module) declares its handlers in ``deadlines.py``;
        # importing them all here means a module needs no edit outside its folder.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("deadlines")
