"""The suite's fixtures (tests/conftest.py) for the tests beside this app: that conftest only
reaches tests under tests/, and pytest allows ``pytest_plugins`` only in the root conftest."""

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
