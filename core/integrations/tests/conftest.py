"""This app's fixtures, registered for its tests (the suite's fixtures come from the root
conftest.py)."""

from core.integrations.tests.integration_helpers import loopback_allowed_fixture  # noqa: F401
from core.integrations.tests.partner_server import partner_server_fixture  # noqa: F401
