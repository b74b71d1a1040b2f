"""Production. Refuses to start with an unsafe default and names the variable to set."""

from django.core.exceptions import ImproperlyConfigured

from core.settings.base import *  # noqa: F403
from core.settings.base import INSECURE_SECRET_KEY
from core.settings.env import env_bool, env_int, env_list, env_str

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
PLATFORM_DOMAIN = env_str("PLATFORM_DOMAIN").lower()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")


def unsafe_settings() -> list[str]:
    problems = []
    if DEBUG:
        problems.append("DEBUG is on: set DEBUG=false.")
    if not SECRET_KEY or SECRET_KEY == INSECURE_SECRET_KEY or len(SECRET_KEY) < 50:
        problems.append(
            "SECRET_KEY is missing, the development default or shorter than 50 "
            "characters: set SECRET_KEY to a long random value."
        )
    if not PLATFORM_DOMAIN or PLATFORM_DOMAIN == "localhost":
        problems.append(
            "PLATFORM_DOMAIN is missing or localhost: set PLATFORM_DOMAIN to the "
            "platform's public host name."
        )
    if not ALLOWED_HOSTS:
        problems.append(
            "ALLOWED_HOSTS is missing: set ALLOWED_HOSTS (comma-separated: "
            "'.<PLATFORM_DOMAIN>' for the platform and its subdomains, plus each custom domain)."
        )
    if "*" in ALLOWED_HOSTS:
        problems.append(
            "ALLOWED_HOSTS contains '*': list the hosts instead ('.<PLATFORM_DOMAIN>' and each "
            "custom domain), so a forged Host header is refused before anything reads it."
        )
    if env_str("PAYPAL_API_BASE"):
        problems.append(
            "PAYPAL_API_BASE is set: PayPal calls would go to a local test server; unset it."
        )
    encryption_keys = [key.strip() for key in env_str("SOUK_ENCRYPTION_KEY").split(",")]
    if not any(encryption_keys):
        problems.append(
            "SOUK_ENCRYPTION_KEY is missing: set it to a long random value of its own (it "
            "encrypts stored secrets; it is not derived from SECRET_KEY in production)."
        )
    elif any(len(key) < 32 or key == SECRET_KEY for key in encryption_keys):
        problems.append(
            "SOUK_ENCRYPTION_KEY: every comma-separated key needs 32+ characters and must "
            "differ from SECRET_KEY."
        )
    if not env_str("REDIS_URL"):
        problems.append(
            "REDIS_URL is missing: production needs Redis for cache, rate limits and Celery."
        )
    if env_bool("SOUK_WEBHOOKS_ALLOW_LOOPBACK", False):
        problems.append(
            "SOUK_WEBHOOKS_ALLOW_LOOPBACK is on: outbound calls could reach this host's "
            "services; unset it in production."
        )
    provider = env_str("SOUK_PAYMENT_PROVIDER", "sandbox")
    if provider == "sandbox" and not env_bool("SOUK_ALLOW_SANDBOX_PAYMENTS", False):
        problems.append(
            "SOUK_PAYMENT_PROVIDER is the sandbox (test cards take no money): set it to "
            "'stripe', or SOUK_ALLOW_SANDBOX_PAYMENTS=true for a demo deployment."
        )
    if provider == "stripe" and not (
        env_str("STRIPE_SECRET_KEY") and env_str("STRIPE_WEBHOOK_SECRET")
    ):
        problems.append(
            "Stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (webhooks are verified)."
        )
    return problems


_problems = unsafe_settings()
if _problems:
    raise ImproperlyConfigured(
        "Refusing to start with unsafe production settings:\n- " + "\n- ".join(_problems)
    )

if SENTRY_DSN:  # noqa: F405
    import sentry_sdk

    sentry_sdk.init(dsn=SENTRY_DSN, send_default_pii=False, traces_sample_rate=0.0)  # noqa: F405

# Hashed, compressed static files served by WhiteNoise from the image (collectstatic at build),
# on any host (platform, tenants, custom domains) before a tenant is looked up.
MIDDLEWARE = [*MIDDLEWARE]  # noqa: F405
MIDDLEWARE.insert(
    MIDDLEWARE.index("core.metrics.MetricsMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
