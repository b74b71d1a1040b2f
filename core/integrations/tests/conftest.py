"""The suite's fixtures (tests/conftest.py) for the tests beside this app: that conftest only
reaches tests under tests/, and pytest allows ``pytest_plugins`` only in the root conftest."""

from core.integrations.tests.integration_helpers import loopback_allowed_fixture  # noqa: F401
from core.integrations.tests.partner_server import partner_server_fixture  # noqa: F401
from tests.conftest import (  # noqa: F401
    _fresh_cache,
    _fresh_rate_limits,
    _public_schema_after_test,
    client_for,
    django_db_setup,
    make_tenant,
    tenant_a,
    tenant_b,
)
