"""Local development and `make demo`."""

from core.settings.base import *  # noqa: F403
from core.settings.env import env_bool, env_int, env_str

DEBUG = env_bool("DEBUG", True)

# Mail is printed to the console (sign-up links, order confirmations...) unless a backend is
# configured; there is no SMTP server on a development machine.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Sellers' test systems (provisioning, webhooks) usually run on this machine too.
SOUK_WEBHOOKS_ALLOW_LOOPBACK = env_bool("SOUK_WEBHOOKS_ALLOW_LOOPBACK", True)
# Links in e-mails (and PayPal's return address) lead to the demo server, not https:443.
SOUK_PUBLIC_SCHEME = env_str("SOUK_PUBLIC_SCHEME", "http")
SOUK_PUBLIC_PORT = env_int("SOUK_PUBLIC_PORT", 8000)
