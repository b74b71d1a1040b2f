"""A gigs shop for the gigs tests (the suite's fixtures come from the root conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from modules.gigs.tests.helpers import GigShop, make_gig_shop, make_gigs_tenant
from tenants.models import Tenant


@pytest.fixture
def gigs_tenant(make_tenant: Any) -> Tenant:
    return make_gigs_tenant(make_tenant)


@pytest.fixture
def shop(gigs_tenant: Tenant) -> GigShop:
    """Studio sells "Logo design" (3 packages, extras, questions); Pixel sells "Icon set"."""
    return make_gig_shop(gigs_tenant)
