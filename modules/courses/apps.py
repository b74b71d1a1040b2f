from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "modules.courses"
    label = "courses"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Outbox consumers: a membership's end closes its courses.
        from modules.courses import consumers  # noqa: F401
