"""Local development and `make demo`."""

from core.settings.base import *  # noqa: F403
from core.settings.env import env_bool

DEBUG = env_bool("DEBUG", True)
