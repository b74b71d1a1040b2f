"""The test suite: real PostgreSQL (DATABASE_URL), real Redis (REDIS_URL) where a test needs it."""

import os
import tempfile
from pathlib import Path


def _redis_of_this_worker() -> None:
    """Under pytest-xdist each worker gets its own Redis database (the suite clears the cache
    between tests, and tenants' cache prefixes repeat across the workers' test databases).
    Processes a worker starts (browser tests' servers) inherit the shifted URL as it is."""
    worker, url = os.environ.get("PYTEST_XDIST_WORKER", ""), os.environ.get("REDIS_URL", "")
    if not worker.startswith("gw") or not url or os.environ.get("SOUK_REDIS_PER_WORKER"):
        return
    base, _, database = url.rpartition("/")
    number = (int(database or 0) + 1 + int(worker[2:])) % 16
    os.environ["REDIS_URL"] = f"{base}/{number}"
    os.environ["SOUK_REDIS_PER_WORKER"] = "1"


_redis_of_this_worker()

from core.settings.base import *  # noqa: E402, F403
from core.settings.base import compose_apps  # noqa: E402
from core.settings.env import env_bool, env_str  # noqa: E402

# alpha sells "software" too and comes first: test tenants run it by default; licensing tests
# provision their marketplaces with modules=["licensing"].
SOUK_MODULES = [
    "tests.testmodules.alpha",
    "tests.testmodules.beta",
    "modules.licensing",
    "modules.gigs",
    "modules.consulting",
    "modules.digital",
    "modules.courses",
]
TENANT_APPS, INSTALLED_APPS = compose_apps(SOUK_MODULES)

# Hashing is a deliberate cost in production; tests check behaviour, not the work factor.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SOUK_SCHEMA_POOL_SIZE = 4
PLATFORM_DOMAIN = "souk.test"
# Eager except for the fault tests' real workers, which set CELERY_TASK_ALWAYS_EAGER=false.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# The browser tests' server process writes its mail here (file backend) for the test to read.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or None

# Pages render every time (a test sees its own change at once); tests/test_page_cache.py turns
# the anonymous page cache on.
SOUK_PAGE_CACHE_SECONDS = 0

# Each probe test sees its own checks run (the readiness memo is tested on its own).
SOUK_READINESS_CACHE_SECONDS = 0

# Uploaded files of the suite go to a throwaway directory, never var/media.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="souk-test-media-"))
