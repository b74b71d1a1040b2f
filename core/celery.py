"""The Celery app. tenant-schemas-celery makes every task run in the schema that queued it."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.dev")

app = CeleryApp("souk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
