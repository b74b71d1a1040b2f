"""provision_tenant: success from each schema source, and every failure leaving nothing."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from core.accounts.models import Role, User
from tenants.errors import TenantError, TenantErrorCode
from tenants.models import Branding, Domain, Plan, PooledSchema, Tenant, TenantModule
from tenants.schemas_sql import rename_schema
from tenants.services import provision_tenant
from tests.fleet_helpers import fleet_snapshot


def provision(slug: str = "fresh-shop", **overrides):
    options: dict[str, Any] = {
        "name": "Fresh Shop",
        "owner_email": "Owner@Fresh.example",
        "owner_password": None,
    }
    options.update(overrides)
    return provision_tenant(slug=slug, **options)


def empty_the_pool() -> None:
    """No schema left to claim. The pooled schemas themselves stay (the test's transaction
    puts the rows back): dropping them would hold a lock on each of their relations until
    the test ends, and with a clone on top that outgrows PostgreSQL's default lock table."""
    PooledSchema.objects.all().delete()


def test_provisioning_from_the_pool_creates_everything_in_one_go(db):
    pool_before = PooledSchema.objects.count()

    result = provision(
        "fresh-shop",
        custom_domains=["Shop.Example.com"],
        branding={"theme": "bazaar", "primary_colour": "#123456", "tagline": "Fresh things"},
        modules=["beta"],
        module_config={"beta": {}},
    )

    tenant = result.tenant
    assert result.schema_source == "pool"
    assert PooledSchema.objects.count() == pool_before - 1
    assert tenant.schema_name == "t_fresh_shop" and schema_exists("t_fresh_shop")
    assert list(
        Domain.objects.filter(tenant=tenant)
        .order_by("-is_primary")
        .values_list("domain", "is_primary", "is_custom")
    ) == [("fresh-shop.souk.test", True, False), ("shop.example.com", False, True)]
    branding = Branding.objects.get(tenant=tenant)
    assert (branding.display_name, branding.theme, branding.primary_colour) == (
        "Fresh Shop",
        "bazaar",
        "#123456",
    )
    # beta depends on alpha: both are on, alpha with its validated defaults.
    assert dict(TenantModule.objects.filter(tenant=tenant).values_list("key", "config")) == {
        "alpha": {"greeting": "hello", "max_items": 10},
        "beta": {},
    }
    with schema_context(tenant.schema_name):
        owner = User.objects.get()
        assert (owner.email, owner.role, owner.has_usable_password()) == (
            "owner@fresh.example",
            Role.OPERATOR,
            False,
        )
    assert not User.objects.filter(email="owner@fresh.example").exists()  # not in public


def test_default_modules_are_enabled_when_none_are_asked_for(db):
    tenant = provision().tenant
    assert list(TenantModule.objects.filter(tenant=tenant).values_list("key", flat=True)) == [
        "alpha"
    ]


def test_owner_password_is_hashed_and_usable(db):
    tenant = provision(owner_password="a long enough passphrase").tenant
    with schema_context(tenant.schema_name):
        owner = User.objects.get()
        assert owner.check_password("a long enough passphrase")
        assert "passphrase" not in owner.password


def test_empty_pool_falls_back_to_cloning_the_template(db):
    empty_the_pool()

    result = provision()

    assert result.schema_source == "clone"
    with schema_context(result.tenant.schema_name):
        assert User.objects.count() == 1


def test_missing_template_falls_back_to_migrations(db, settings):
    empty_the_pool()
    rename_schema(settings.SOUK_TEMPLATE_SCHEMA, "souk_template_away")

    result = provision()

    assert result.schema_source == "migrations"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM t_fresh_shop.django_migrations")
        assert cursor.fetchone()[0] > 0


def test_pool_empty_and_template_missing_is_refused_when_migrating_in_requests_is_off(db, settings):
    settings.SOUK_PROVISION_MIGRATE_FALLBACK = False
    empty_the_pool()
    rename_schema(settings.SOUK_TEMPLATE_SCHEMA, "souk_template_away")
    before = fleet_snapshot()

    with pytest.raises(TenantError) as caught:
        provision()

    assert caught.value.code == TenantErrorCode.TEMPLATE_SCHEMA_MISSING
    assert fleet_snapshot() == before


@pytest.mark.parametrize(
    "slug", ["ab", "-shop", "shop-", "Shop Here", "shop--two", "1shop", "shop_x", "a" * 41, ""]
)
def test_bad_slugs_are_refused_and_leave_nothing(db, slug):
    before = fleet_snapshot()
    with pytest.raises(TenantError) as caught:
        provision(slug)
    assert caught.value.code == TenantErrorCode.INVALID_SLUG
    assert caught.value.details["field"] == "slug"
    assert fleet_snapshot() == before


@pytest.mark.parametrize("slug", ["www", "api", "admin", "console", "public", "pool-1", "pg-x"])
def test_reserved_slugs_are_refused_and_leave_nothing(db, slug):
    before = fleet_snapshot()
    with pytest.raises(TenantError) as caught:
        provision(slug)
    assert caught.value.code == TenantErrorCode.RESERVED_SLUG
    assert fleet_snapshot() == before


def test_taken_slug_is_refused(make_tenant):
    make_tenant("fresh-shop")
    before = fleet_snapshot()
    with pytest.raises(TenantError) as caught:
        provision("fresh-shop")
    assert caught.value.code == TenantErrorCode.SLUG_TAKEN
    assert fleet_snapshot() == before


def test_duplicate_custom_domain_is_refused_and_leaves_nothing(make_tenant):
    make_tenant("first-shop", custom_domains=["shop.example.com"])
    before = fleet_snapshot()

    with pytest.raises(TenantError) as caught:
        provision("second-shop", custom_domains=["SHOP.example.com"])

    assert caught.value.code == TenantErrorCode.DOMAIN_TAKEN
    assert caught.value.details["taken"] == ["shop.example.com"]
    assert fleet_snapshot() == before


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"custom_domains": ["not a domain"]}, TenantErrorCode.INVALID_DOMAIN),
        ({"custom_domains": ["evil.souk.test"]}, TenantErrorCode.INVALID_DOMAIN),
        ({"owner_email": "nobody"}, TenantErrorCode.INVALID_EMAIL),
        ({"owner_password": "123"}, TenantErrorCode.INVALID_PASSWORD),
        ({"name": "   "}, TenantErrorCode.INVALID_NAME),
        ({"modules": ["nonexistent"]}, TenantErrorCode.UNKNOWN_MODULE),
        (
            {"module_config": {"alpha": {"max_items": 0}}, "modules": ["alpha"]},
            TenantErrorCode.INVALID_MODULE_CONFIG,
        ),
        (
            {"module_config": {"alpha": {"surprise": 1}}, "modules": ["alpha"]},
            TenantErrorCode.INVALID_MODULE_CONFIG,
        ),
        (
            {"module_config": {"beta": {}}, "modules": ["alpha"]},
            TenantErrorCode.INVALID_MODULE_CONFIG,
        ),
        ({"branding": {"primary_colour": "red"}}, TenantErrorCode.INVALID_BRANDING),
        ({"branding": {"theme": "nope"}}, TenantErrorCode.INVALID_BRANDING),
        ({"branding": {"font": "comic"}}, TenantErrorCode.INVALID_BRANDING),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_leaves_nothing(db, overrides, code):
    before = fleet_snapshot()
    with pytest.raises(TenantError) as caught:
        provision(**overrides)
    assert caught.value.code == code
    assert caught.value.message
    assert fleet_snapshot() == before


def test_module_outside_the_plan_is_refused(db):
    plan = Plan.objects.create(slug="starter", name="Starter", allowed_modules=["alpha"])
    before = fleet_snapshot()
    with pytest.raises(TenantError) as caught:
        provision(plan=plan, modules=["beta"])
    assert caught.value.code == TenantErrorCode.MODULE_NOT_IN_PLAN
    assert fleet_snapshot() == before


def test_failure_after_the_schema_was_taken_rolls_everything_back(db, monkeypatch):
    """The owner cannot be created: the pooled schema goes back to the pool, no rows stay."""
    before = fleet_snapshot()

    def broken_create_user(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(User.objects, "create_user", broken_create_user)
    with pytest.raises(RuntimeError):
        provision()

    assert fleet_snapshot() == before
    assert not schema_exists("t_fresh_shop")


def test_failed_clone_leaves_no_schema(db, monkeypatch):
    empty_the_pool()
    before = fleet_snapshot()

    def broken_branding(**kwargs):
        raise ValueError("branding table gone")

    # The package re-exports the function under the module's name, so patch via sys.modules.
    module = sys.modules["tenants.services.provision_tenant"]
    monkeypatch.setattr(module, "write_branding", broken_branding)
    with pytest.raises(ValueError):
        provision()
    assert fleet_snapshot() == before
    assert not Tenant.objects.filter(slug="fresh-shop").exists()


def test_currencies_are_validated_and_stored(db):
    tenant = provision(default_currency="eur", extra_currencies=["usd", "EUR", "gbp"]).tenant
    assert (tenant.default_currency, tenant.extra_currencies) == ("EUR", ["GBP", "USD"])
    before = fleet_snapshot()
    with pytest.raises(TenantError) as caught:
        provision("other-shop", extra_currencies=["DOGE"])
    assert caught.value.code == TenantErrorCode.INVALID_CURRENCY
    assert fleet_snapshot() == before
