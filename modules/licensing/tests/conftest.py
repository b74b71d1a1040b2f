"""A licensing shop for the licensing tests (the suite's fixtures come from the root
conftest.py)."""

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


@pytest.fixture
def licensing_tenant(make_tenant: Any) -> Tenant:
    return make_licensing_tenant(make_tenant)


@pytest.fixture
def other_licensing_tenant(make_tenant: Any) -> Tenant:
    return make_licensing_tenant(make_tenant, OTHER_LICENSING_SLUG)


@pytest.fixture
def shop(licensing_tenant: Tenant) -> LicensingShop:
    """Acme sells "Swift Editor" (2 machines, pooled, perpetual) to the buyer."""
    return make_licensing_shop(licensing_tenant)
