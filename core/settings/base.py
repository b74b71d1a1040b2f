"""Settings shared by every environment. Everything that differs between machines comes from
the environment (see README, "Environment")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from core.settings.env import env_bool, env_int, env_list, env_str

# Lets admin and manager classes be subscripted at run time, as django-stubs types them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("SOUK_VAR_DIR", str(BASE_DIR / "var")))

# Shown in the error production settings raise when it is still in use.
INSECURE_SECRET_KEY = "souk-insecure-development-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", INSECURE_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)

# The platform host serves the super-admin console, the platform API and the sign-up form.
# Tenants get `<slug>.<PLATFORM_DOMAIN>` and may add custom domains.
PLATFORM_DOMAIN = env_str("PLATFORM_DOMAIN", "localhost").lower()
# Unknown hosts are answered by the tenant middleware (a 404 page), which is the real host
# check; ALLOWED_HOSTS only guards against malformed Host headers.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"])

# --- Modules -------------------------------------------------------------------------------
# Adding a module is one line here (or in the SOUK_MODULES environment variable).
SOUK_MODULES: list[str] = env_list(
    "SOUK_MODULES",
    [
        "modules.licensing",
        "modules.gigs",
        "modules.consulting",
        "modules.digital",
        "modules.courses",
    ],
)

SHARED_APPS = [
    # Before django_tenants, so our create_tenant command is the one manage.py runs.
    "tenants",
    "django_tenants",
    "core",
    "core.accounts",
    "core.outbox",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ninja",
    "django.contrib.postgres",
    "channels",
]

CORE_TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core.accounts",
    "core.outbox",
    "core.idempotency",
    "core.sellers",
    "core.catalog",
    "core.payments",
    "core.commerce",
    "core.subscriptions",
    "core.reviews",
    "core.storefront",
    "core.deadlines",
    "core.integrations",
    "core.analytics",
    "core.studio",
    "core.realtime",
    "core.conversations",
    "core.notifications",
    "core.automod",
    "core.risk",
    "core.disputes",
    "core.recommendations",
    "tenants.backoffice",
]


def compose_apps(modules: list[str]) -> tuple[list[str], list[str]]:
    """TENANT_APPS and INSTALLED_APPS for a module list: every schema has every module's
    tables; a module being on or off for a tenant is data, not schema."""
    tenant_apps = [*CORE_TENANT_APPS, *modules]
    installed = [*SHARED_APPS, *(app for app in tenant_apps if app not in SHARED_APPS)]
    return tenant_apps, installed


TENANT_APPS, INSTALLED_APPS = compose_apps(SOUK_MODULES)

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# One SET search_path per request (and per schema switch), not one per query.
TENANT_LIMIT_SET_CALLS = True
ROOT_URLCONF = "core.urls"
PUBLIC_SCHEMA_URLCONF = "core.urls_platform"
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
AUTH_USER_MODEL = "accounts.User"

# Encrypts secrets stored in the database (module credentials, signing keys); SECRET_KEY when
# unset. Changing it makes the stored secrets unreadable.
SOUK_ENCRYPTION_KEY = env_str("SOUK_ENCRYPTION_KEY", "")

# Outbound calls to sellers' systems (webhooks, provisioning) refuse private, loopback and
# link-local addresses; only local development and tests may allow loopback.
SOUK_WEBHOOKS_ALLOW_LOOPBACK = env_bool("SOUK_WEBHOOKS_ALLOW_LOOPBACK", False)

# --- Payments ---
# "sandbox" (test cards, no network, a "test mode" banner) or "stripe" (Stripe Connect).
SOUK_PAYMENT_PROVIDER = env_str("SOUK_PAYMENT_PROVIDER", "sandbox")

# Souk's video rooms for consultations: a self-hosted Jitsi whose Prosody checks tokens
# (authentication = "token", with this app_id/app_secret). Without a secret the room links
# carry no token, so anyone holding one gets in: for demos only (README, "Consulting").
SOUK_JITSI_DOMAIN = env_str("SOUK_JITSI_DOMAIN", "meet.jit.si")
SOUK_JITSI_APP_ID = env_str("SOUK_JITSI_APP_ID", "souk")
SOUK_JITSI_APP_SECRET = env_str("SOUK_JITSI_APP_SECRET", "")

# Digital downloads from local storage: let the web server send the file once Souk has
# checked the signed link ("x-accel-redirect" for nginx, with an internal location at the
# prefix mapped to MEDIA_ROOT; "x-sendfile" for Apache/lighttpd); empty streams from Django.
SOUK_DOWNLOAD_ACCEL = env_str("SOUK_DOWNLOAD_ACCEL", "")
SOUK_DOWNLOAD_ACCEL_PREFIX = env_str("SOUK_DOWNLOAD_ACCEL_PREFIX", "/_protected/")
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET", "")
# Stripe signs Connect events (account.updated) with the Connect endpoint's own secret.
STRIPE_CONNECT_WEBHOOK_SECRET = env_str("STRIPE_CONNECT_WEBHOOK_SECRET", "")
# Only for tests and local development against localstripe / a local Connect server.
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "")
STRIPE_CONNECT_API_BASE = env_str("STRIPE_CONNECT_API_BASE", "")
# PayPal: each marketplace's operators enter their own PayPal app (client id, secret, webhook
# id, sandbox or live) in the back-office. Only for tests and local development: every
# marketplace's PayPal calls go to this local server instead of api-m(.sandbox).paypal.com.
PAYPAL_API_BASE = env_str("PAYPAL_API_BASE", "")

# --- Search, proxies ---
SOUK_SEARCH_BACKEND = env_str("SOUK_SEARCH_BACKEND", "postgres")
# "Similar products" by meaning: sentence embeddings from the WordLlama model that ships inside
# the wordllama wheel (nothing is downloaded). Off: PostgreSQL full text only.
SOUK_RECOMMENDATION_EMBEDDINGS = env_bool("SOUK_RECOMMENDATION_EMBEDDINGS", False)
OPENSEARCH_URL = env_str("OPENSEARCH_URL", "http://127.0.0.1:9200")
OPENSEARCH_INDEX_PREFIX = env_str("OPENSEARCH_INDEX_PREFIX", "souk")
# How many proxies in front of Souk append to X-Forwarded-For (the ingress controller: 1).
SOUK_TRUSTED_PROXY_COUNT = env_int("SOUK_TRUSTED_PROXY_COUNT", 0)
# The header a CDN sets to the client's country (Cloudflare: "CF-IPCountry"), read by the fraud
# checks only when set here; anyone can send it, so set it only when the CDN overwrites it.
SOUK_RISK_IP_COUNTRY_HEADER = env_str("SOUK_RISK_IP_COUNTRY_HEADER", "")
# Anonymous storefront pages are kept whole in the cache (and by a CDN: s-maxage) this long at
# most; catalogue, branding and profile changes replace them at once. 0: rendered every time.
SOUK_PAGE_CACHE_SECONDS = env_int("SOUK_PAGE_CACHE_SECONDS", 60)
# Links made outside a request (e-mails, PayPal's return address): https on the default port
# in production; `make demo` serves plain http on :8000.
SOUK_PUBLIC_SCHEME = env_str("SOUK_PUBLIC_SCHEME", "https")
SOUK_PUBLIC_PORT = env_int("SOUK_PUBLIC_PORT", 0)

# --- Provisioning --------------------------------------------------------------------------
SOUK_SCHEMA_POOL_SIZE = env_int("SOUK_SCHEMA_POOL_SIZE", 5)
SOUK_TEMPLATE_SCHEMA = "souk_template"
# When neither a pooled nor a template schema is ready, migrate one in the request (slow) or
# refuse with template_schema_missing.
SOUK_PROVISION_MIGRATE_FALLBACK = env_bool("SOUK_PROVISION_MIGRATE_FALLBACK", True)
SOUK_MIGRATE_PARALLEL = env_int("SOUK_MIGRATE_PARALLEL", 4)
# A deleted tenant is suspended at once and purged (schema, files, search index, cache, rows)
# after this many days, during which staff can cancel the deletion.
SOUK_TENANT_DELETION_GRACE_DAYS = env_int("SOUK_TENANT_DELETION_GRACE_DAYS", 30)
SOUK_RESERVED_SLUGS = frozenset(
    {
        "www",
        "api",
        "admin",
        "console",
        "platform",
        "public",
        "static",
        "media",
        "mail",
        "smtp",
        "ftp",
        "app",
        "apps",
        "help",
        "support",
        "status",
        "docs",
        "blog",
        "billing",
        "souk",
        "localhost",
        "test",
        "template",
        "pool",
        "system",
        "root",
        "assets",
        "cdn",
    }
)

# --- Database ------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")


def database_config(url: str) -> dict[str, object]:
    if not url:
        raise ImproperlyConfigured(
            "DATABASE_URL is not set. Set it to a PostgreSQL URL "
            "(postgres://user@host:5432/souk), or use `make demo` / `make test`, which start an "
            "embedded PostgreSQL under var/ when it is unset."
        )
    config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    if config["ENGINE"] not in {"django.db.backends.postgresql"}:
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
    config["ENGINE"] = "django_tenants.postgresql_backend"
    # Connection poolers must run in session mode: search_path is set per request.
    config["CONN_HEALTH_CHECKS"] = True
    # Statements are prepared on the server only when asked (core.prepared: a hot path's one
    # statement); Django would turn preparing off altogether (None), psycopg would prepare
    # every statement run five times.
    options = dict(config.get("OPTIONS") or {})
    options.setdefault("prepare_threshold", PREPARE_ONLY_WHEN_ASKED)
    config["OPTIONS"] = options
    return dict(config)


PREPARE_ONLY_WHEN_ASKED = 2**31 - 1


DATABASES = {"default": database_config(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery -------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
_TENANT_KEYS = {
    "KEY_FUNCTION": "django_tenants.cache.make_key",
    "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
            **_TENANT_KEYS,
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", **_TENANT_KEYS}
    }

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# With no broker configured (the embedded default) tasks run in-process.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# An unacknowledged task (its worker died) is handed to another worker after this long.
# Workers look for such tasks every interval x throttle seconds (kombu's defaults: 10 x 10).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": env_int("CELERY_UNACKED_RESTORE_THROTTLE", 10),
}
CELERY_TASK_SERIALIZER = "json"
CELERY_BEAT_SCHEDULE = {
    "refill-schema-pool": {"task": "tenants.tasks.refill_schema_pool", "schedule": 60.0},
    "dispatch-outboxes": {"task": "tenants.tasks.dispatch_all_outboxes", "schedule": 30.0},
    "purge-deleted-tenants": {"task": "tenants.tasks.purge_deleted_tenants", "schedule": 3600.0},
    # Per-tenant timers, queued in every active tenant's schema.
    "expire-unpaid-orders": {
        "task": "tenants.tasks.fan_out",
        "args": ["core.commerce.tasks.expire_unpaid_orders"],
        "schedule": 300.0,
    },
    "reconcile-payments": {
        "task": "tenants.tasks.fan_out",
        "args": ["core.commerce.tasks.reconcile_payments"],
        "schedule": 120.0,
    },
    "renew-subscriptions": {
        "task": "tenants.tasks.fan_out",
        "args": ["core.subscriptions.tasks.renew_due_subscriptions"],
        "schedule": 900.0,
    },
    # Notifications held for quiet hours, retries, and each user's daily digest at its hour.
    "notifications-due": {
        "task": "tenants.tasks.fan_out",
        "args": ["core.notifications.tasks.run_due_notifications"],
        "schedule": 300.0,
    },
    "scheduled-payouts": {
        "task": "tenants.tasks.fan_out",
        "args": ["core.commerce.tasks.run_scheduled_payouts"],
        "schedule": crontab(hour=6, minute=0),
    },
    # Per-object deadlines (core/deadlines): each fires within about this long after it is due.
    "sweep-deadlines": {
        "task": "tenants.tasks.fan_out",
        "args": ["core.deadlines.tasks.sweep_deadlines"],
        "schedule": 30.0,
    },
    # Webhook deliveries whose task was lost, and the integration log's retention
    # (core/integrations).
    "retry-overdue-webhooks": {
        "task": "tenants.tasks.fan_out",
        "args": ["core.integrations.tasks.retry_overdue_deliveries"],
        "schedule": 60.0,
    },
    # The analytics counters (Redis) into the daily aggregates, once per batch.
    "flush-analytics-counters": {
        "task": "tenants.tasks.fan_out",
        "args": ["core.analytics.tasks.flush_counters"],
        "schedule": 60.0,
    },
    # The operator dashboard's daily rollup of the day that just closed (the first load after
    # midnight would otherwise roll it up itself).
    "roll-up-marketplace-days": {
        "task": "tenants.tasks.fan_out",
        "args": ["core.analytics.tasks.roll_up_marketplace_days"],
        "schedule": crontab(hour=1, minute=15),
    },
    "prune-integration-log": {
        "task": "tenants.tasks.fan_out",
        "args": ["core.integrations.tasks.prune_integration_log"],
        "schedule": crontab(hour=4, minute=30),
    },
}

# --- HTTP ----------------------------------------------------------------------------------
MIDDLEWARE = [
    "core.request_id.RequestIdMiddleware",
    # Probes and metrics answer on any host, before a tenant is looked up.
    "core.health.HealthMiddleware",
    "core.metrics.MetricsMiddleware",
    # Outside everything that writes a body: it compresses the final text.
    "core.compression.TextGZipMiddleware",
    # Outermost after the request id, so every response (unknown host, suspended, rewritten
    # API errors) carries the headers.
    "core.security_headers.SecurityHeadersMiddleware",
    "core.envelope.ApiErrorEnvelopeMiddleware",
    "tenants.middleware.TenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Platform support is signed out once its SupportSession is ended or expired.
    "tenants.middleware.SupportSessionMiddleware",
    "core.accounts.session_policy.PrivilegedSessionMiddleware",
    "core.request_id.UserIdMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After authentication: it lets a not-yet-open marketplace's operators in.
    "tenants.middleware.UnopenedMarketplaceMiddleware",
    "tenants.middleware.ModuleGuardMiddleware",
    # Counts product page views into Redis after the page answered (core/analytics).
    "core.analytics.middleware.ProductViewMiddleware",
    "core.risk.signals.RiskSignalsMiddleware",  # client address, country, device cookie
]

# Host-only cookies: a session or CSRF token from one marketplace is never sent to another.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_NAME = "souk_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Operator, support and staff sessions: signed out after this long, or this long idle
# (core/accounts/session_policy.py). Buyers and sellers keep SESSION_COOKIE_AGE (two weeks).
SOUK_PRIVILEGED_SESSION_MAX_AGE = env_int("SOUK_PRIVILEGED_SESSION_MAX_AGE", 12 * 3600)
SOUK_PRIVILEGED_SESSION_IDLE_TIMEOUT = env_int("SOUK_PRIVILEGED_SESSION_IDLE_TIMEOUT", 30 * 60)
# A password-reset link works for two hours (Django's default is three days).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 2 * 3600)
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"

# Request bodies: anything larger is answered 413 (API) before a handler sees it.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1_048_576)

# --- Templates, themes, static -------------------------------------------------------------
THEMES_DIR = BASE_DIR / "themes"
TENANT_TEMPLATE_OVERRIDES_DIR = VAR_DIR / "tenant-templates"
SOUK_THEMES = ("base", "bazaar")
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.storefront",
            ],
            "loaders": [
                (
                    "tenants.template_loaders.CachedLoader",
                    [
                        # tenant override -> tenant's theme -> themes/base -> modules/<key>/
                        "tenants.template_loaders.ThemeLoader",
                        # Django's own apps (the admin on the platform host).
                        "django.template.loaders.app_directories.Loader",
                    ],
                )
            ],
        },
    }
]
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Themes' static files under "themes/<theme>/"; a module's (modules/<key>/static/<key>/) are an
# installed app's, found and collected by the default AppDirectoriesFinder.
STATICFILES_DIRS = [(f"themes/{theme}", THEMES_DIR / theme / "static") for theme in SOUK_THEMES]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"

# --- Files ---------------------------------------------------------------------------------
# Local files under MEDIA_ROOT unless a bucket is set; then private objects under
# `<schema>/` keys, served only through presigned URLs (core.storage). Empty credentials
# leave boto3 to its own chain (instance profile, IRSA/workload identity on Kubernetes).
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
# How long a presigned URL of a private file lives: 1-300 seconds (the storage refuses more).
SOUK_PRIVATE_URL_SECONDS = env_int("SOUK_PRIVATE_URL_SECONDS", 300)
# Server-side encryption of every object on S3: "AES256" (SSE-S3, the default), "aws:kms"
# (SSE-KMS; with SOUK_S3_SSE_KMS_KEY_ID, else the account's aws/s3 key) or "" for an
# S3-compatible server without it. Presigned downloads keep working (SigV4).
SOUK_S3_SSE = env_str("SOUK_S3_SSE", "AES256")
SOUK_S3_SSE_KMS_KEY_ID = env_str("SOUK_S3_SSE_KMS_KEY_ID", "")


def s3_encryption() -> dict[str, str]:
    """The object parameters that encrypt an object at rest (empty when switched off)."""
    if not SOUK_S3_SSE:
        return {}
    parameters = {"ServerSideEncryption": SOUK_S3_SSE}
    if SOUK_S3_SSE.startswith("aws:kms") and SOUK_S3_SSE_KMS_KEY_ID:
        parameters["SSEKMSKeyId"] = SOUK_S3_SSE_KMS_KEY_ID
    return parameters


def storages_config(bucket: str) -> dict[str, dict[str, Any]]:
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    if not bucket:
        # No OPTIONS: the storage reads MEDIA_ROOT when used, so test settings may move it.
        return {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": static,
        }
    return {
        "default": {
            "BACKEND": "core.storage.TenantPrivateS3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
                "region_name": env_str("AWS_S3_REGION_NAME") or None,
                "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
                "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
                # "path" for MinIO, Ceph and most S3-compatible servers without bucket DNS.
                "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE") or None,
                "querystring_expire": SOUK_PRIVATE_URL_SECONDS,
                "object_parameters": s3_encryption(),
            },
        },
        "staticfiles": static,
    }


STORAGES = storages_config(AWS_STORAGE_BUCKET_NAME)

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
# /metrics answers only with "Authorization: Bearer <METRICS_TOKEN>"; empty disables it.
METRICS_TOKEN = env_str("METRICS_TOKEN")
# /readyz runs its checks at most once per this many seconds per process (core/health.py).
SOUK_READINESS_CACHE_SECONDS = env_int("SOUK_READINESS_CACHE_SECONDS", 5)
SENTRY_DSN = env_str("SENTRY_DSN")
OTP_TOTP_ISSUER = "Souk"

WSGI_APPLICATION = "core.wsgi.application"
# The web process is ASGI (uvicorn workers under gunicorn): HTTP as before, WebSockets through
# Django Channels (core/asgi.py, core/realtime).
ASGI_APPLICATION = "core.asgi.application"
# channels-redis wherever Redis is configured (production, tests); the in-memory layer only in
# the embedded demo, which runs one process.
if REDIS_URL:
    _CHANNELS_REDIS = env_str("CHANNELS_REDIS_URL") or REDIS_URL
    CHANNEL_LAYERS = {
        "default": {
            # Pub/Sub: one PUBLISH per group send, delivered at most once: pushes are hints
            # for open pages, what must not be lost goes through the outbox. Measured against
            # the list-based layer with bench/chat.py (README, "Real time").
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    # redis-py's defaults (a 5 s read timeout, a pool of 100 that raises when
                    # full) would drop quiet sockets and refuse a busy worker's sends.
                    {"address": _CHANNELS_REDIS, "socket_timeout": 15, "max_connections": 1000}
                ],
                # Pub/Sub channels ignore Redis's database number: the prefix carries it, so
                # two deployments (or test runs) sharing one Redis never hear each other.
                "prefix": "souk:" + _CHANNELS_REDIS.rsplit("/", 1)[-1],
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "core.request_id.RequestContextFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s "
            "[tenant=%(tenant)s request=%(request_id)s user=%(user_id)s] %(message)s"
        },
        "json": {"()": "core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env_str("LOG_FORMAT", "plain"),
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # fpdf2's font subsetting logs dozens of INFO lines per invoice PDF.
        "fontTools": {"level": "WARNING"},
    },
}
