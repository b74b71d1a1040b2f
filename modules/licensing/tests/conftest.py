"""The suite's fixtures (tests/conftest.py) for the licensing tests, plus a licensing shop:
that conftest only reaches tests under tests/, and pytest allows ``pytest_plugins`` only in
the root conftest."""

from __future__ import annotations

from typing import Any

import pytest

from modules.licensing.tests.helpers import (
    OTHER_LICENSING_SLUG,
    LicensingShop,
    make_licensing_shop,
    make_licensing_tenant,
)
from tenants.models import Tenant
from tests.conftest import (  # noqa: F401
    _fresh_cache,
    _fresh_rate_limits,
    _public_schema_after_test,
    client_for,
    django_db_setup,
    make_tenant,
    redis_url,
    tenant_a,
    tenant_b,
)


@pytest.fixture
def licensing_tenant(make_tenant: Any) -> Tenant:  # noqa: F811
    return make_licensing_tenant(make_tenant)


@pytest.fixture
def other_licensing_tenant(make_tenant: Any) -> Tenant:  # noqa: F811
    return make_licensing_tenant(make_tenant, OTHER_LICENSING_SLUG)


@pytest.fixture
def shop(licensing_tenant: Tenant) -> LicensingShop:
    """Acme sells "Swift Editor" (2 machines, pooled, perpetual) to the buyer."""
    return make_licensing_shop(licensing_tenant)
