"""The web process (ASGI: uvicorn workers under gunicorn, see core/gunicorn_conf.py): HTTP
goes to Django exactly as before; WebSockets at ``/ws/`` on a marketplace's hosts go to Django
Channels (core/realtime: host -> tenant, origin check, single-use ticket, consumer)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.prod")

# Sets Django up; the real-time code imports models, so it is imported after.
django_http = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from core.realtime.routing import websocket_application  # noqa: E402


def http_application() -> object:
    # `make demo` runs uvicorn with DEBUG on, browser tests set SOUK_SERVE_STATIC=1: static
    # files are served as runserver (--insecure) served them. Production serves them with
    # WhiteNoise (core/settings/prod.py).
    serves_static = settings.DEBUG or os.environ.get("SOUK_SERVE_STATIC") == "1"
    if serves_static and "django.contrib.staticfiles" in settings.INSTALLED_APPS:
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        return ASGIStaticFilesHandler(django_http)
    return django_http


application = ProtocolTypeRouter({"http": http_application(), "websocket": websocket_application})
