"""Settings for benchmark servers: the test settings with limits high enough that the
benchmark measures the code path (rate limiting still runs, it just never refuses)."""

from core.settings.test import *  # noqa: F403

DEBUG = False
SOUK_RATES = {
    "api_principal": "100000000/m",
    "api_anonymous_ip": "100000000/m",
    "api_tenant": "100000000/m",
}
SOUK_PAGE_CACHE_SECONDS = 60  # as in production
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
