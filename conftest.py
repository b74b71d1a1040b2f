"""Fixtures shared by every test, wherever it lives (tests/, core/<app>/tests/,
modules/<key>/tests/): a migrated template and warm pool in the test database, and tenants made
the one real way (provision_tenant) inside each test's transaction, so every schema and row a
test makes is rolled back with it. Plain helpers are in tests/fleet_helpers.py; the kinds of
test (browser, redis, ...) are marked here from tests/markers.py."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import setup_databases
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import ratelimit
from core.accounts.models import Role, User
from tenants.models import Tenant
from tenants.schemas_sql import use_public_schema
from tenants.selectors import forget_modules_seen_here
from tenants.services import ProvisionedTenant, fill_schema_pool, provision_tenant
from tenants.services.migrate_fleet import migrate_fleet
from tests.fleet_helpers import TEST_POOL_SIZE, host_of
from tests.markers import markers_for

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        relative_path = item.path.relative_to(config.rootpath).as_posix()
        for marker in markers_for(relative_path, getattr(item, "fixturenames", ())):
            item.add_marker(marker)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any, django_db_keepdb: bool) -> None:
    """After pytest-django made (or reused) the test database: bring the template and pool
    schemas up to date and fill the pool. These are committed and shared by all tests."""
    with django_db_blocker.unblock():
        if not connection.settings_dict["NAME"].startswith("test_"):
            # pytest-django only sets up a database when a collected test asks for `db`; the
            # tests that commit schemas of their own (migrate_tenants) need one too.
            setup_databases(
                verbosity=0, interactive=False, keepdb=django_db_keepdb, aliases={"default": {}}
            )
        migrate_fleet(parallel=1)
        fill_schema_pool(size=TEST_POOL_SIZE)
        use_public_schema()


@pytest.fixture(autouse=True)
def _public_schema_after_test() -> Iterator[None]:
    yield
    use_public_schema()


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Schemas (and so tenant cache prefixes) repeat between tests; cached answers must not.
    Nor may what this process keeps of a revision a rolled-back test numbered too."""
    cache.clear()
    forget_modules_seen_here()


@pytest.fixture(autouse=True)
def _own_media_root(settings: Any, tmp_path: Path) -> None:
    """Files do not roll back with the database: each test writes into its own directory, so
    one test's uploads (a logo, a product picture) never show up in another's listing or
    export of the same schema's files."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Each test starts with full buckets (the suite signs in hundreds of times from one IP)."""
    ratelimit.clear_all_buckets()


@pytest.fixture
def make_tenant(db: None) -> Callable[..., ProvisionedTenant]:
    def make(slug: str, **overrides: Any) -> ProvisionedTenant:
        options: dict[str, Any] = {
            "name": slug.replace("-", " ").title(),
            "owner_email": f"owner@{slug}.example",
            "owner_password": None,
        }
        options.update(overrides)
        result = provision_tenant(slug=slug, **options)
        use_public_schema()
        return result

    return make


@pytest.fixture
def tenant_a(make_tenant: Callable[..., ProvisionedTenant]) -> Tenant:
    return make_tenant("alpha-market", name="Alpha Market").tenant


@pytest.fixture
def tenant_b(make_tenant: Callable[..., ProvisionedTenant]) -> Tenant:
    return make_tenant(
        "beta-bazaar",
        name="Beta Bazaar",
        branding={"theme": "bazaar", "primary_colour": "#aa2200"},
        modules=["alpha", "beta"],
    ).tenant


@pytest.fixture
def client_for() -> Callable[[Tenant], Client]:
    """A test client whose requests go to the tenant's primary host."""

    def make(tenant: Tenant) -> Client:
        return Client(HTTP_HOST=host_of(tenant))

    return make


@pytest.fixture
def platform_client() -> Client:
    return Client(HTTP_HOST=settings.PLATFORM_DOMAIN)


@pytest.fixture
def staff_user(db: None) -> User:
    return User.objects.create_user(
        "staff@souk.test",
        "correct horse battery",
        role=Role.STAFF,
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def staff_client(staff_user: User) -> Client:
    """Platform staff signed in with a verified TOTP device (django-otp)."""
    device = TOTPDevice.objects.create(user=staff_user, name="phone", confirmed=True)
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    client.force_login(staff_user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture(scope="session")
def redis_url() -> str:
    """Redis is required under CI; elsewhere a machine without Redis skips these tests."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI requires Redis at {REDIS_URL}: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL} (set REDIS_URL); required under CI")
    return REDIS_URL
