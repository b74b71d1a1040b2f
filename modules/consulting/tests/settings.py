"""The suite's settings with the consulting module installed (until the lead adds it to
``core/settings/test.py``): run ``pytest --ds=modules.consulting.tests.settings``."""

from core.settings.base import compose_apps
from core.settings.test import *  # noqa: F403
from core.settings.test import SOUK_MODULES as BASE_MODULES

SOUK_MODULES = [*BASE_MODULES, "modules.consulting"]
TENANT_APPS, INSTALLED_APPS = compose_apps(SOUK_MODULES)
