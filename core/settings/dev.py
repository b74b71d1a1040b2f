"""Local development and `make demo`."""

from core.settings.base import *  # noqa: F403
from core.settings.env import env_bool, env_str

DEBUG = env_bool("DEBUG", True)

# Mail is printed to the console (sign-up links, order confirmations...) unless a backend is
# configured; there is no SMTP server on a development machine.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Sellers' test systems (provisioning, webhooks) usually run on this machine too.
SOUK_WEBHOOKS_ALLOW_LOOPBACK = env_bool("SOUK_WEBHOOKS_ALLOW_LOOPBACK", True)
