"""Nothing of tenant A is visible from tenant B's host: users, sessions, caches, module data."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache, caches
from django.test import override_settings
from django_tenants.utils import schema_context

from core.accounts.models import User
from tests.testmodules.alpha.models import AlphaItem


def test_same_email_on_two_marketplaces_is_two_unrelated_accounts(tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        User.objects.create_user("ann@example.com", "password-on-a")
    with schema_context(tenant_b.schema_name):
        assert not User.objects.filter(email="ann@example.com").exists()
        User.objects.create_user("ann@example.com", "password-on-b")
    with schema_context(tenant_a.schema_name):
        assert User.objects.get(email="ann@example.com").check_password("password-on-a")


def test_login_on_a_does_not_work_on_b(client_for, tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        User.objects.create_user("ann@example.com", "a fine passphrase")

    on_a = client_for(tenant_a).post(
        "/accounts/login/", {"username": "ann@example.com", "password": "a fine passphrase"}
    )
    on_b = client_for(tenant_b).post(
        "/accounts/login/", {"username": "ann@example.com", "password": "a fine passphrase"}
    )

    assert on_a.status_code == 302
    assert on_b.status_code == 200  # the form again, with an error
    assert b"correct email" in on_b.content.lower() or b"enter a correct" in on_b.content.lower()


def test_session_cookie_of_a_is_host_only_and_worthless_on_b(client_for, tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        User.objects.create_user("ann@example.com", "a fine passphrase")
    client_a = client_for(tenant_a)
    response = client_a.post(
        "/accounts/login/", {"username": "ann@example.com", "password": "a fine passphrase"}
    )
    cookie = response.cookies["souk_session"]
    assert cookie["domain"] == ""  # host-only: never sent to another marketplace's host

    home_on_a = client_a.get("/")
    client_b = client_for(tenant_b)
    client_b.cookies["souk_session"] = cookie.value  # a stolen or replayed cookie
    home_on_b = client_b.get("/")

    assert b"ann@example.com" in home_on_a.content
    assert b"ann@example.com" not in home_on_b.content
    assert b"Sign in" in home_on_b.content


@pytest.fixture
def redis_cache(redis_url):
    caches_setting = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_url,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        }
    }
    # override_settings makes Django rebuild its cache handlers (setting_changed).
    with override_settings(CACHES=caches_setting):
        redis_backed: Any = caches["default"]
        redis_backed.client.get_client().flushdb()
        yield redis_backed
        redis_backed.client.get_client().flushdb()


def test_cache_entries_are_per_tenant_in_real_redis(redis_cache, tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        redis_cache.set("basket-total", 4200)
    with schema_context(tenant_b.schema_name):
        assert redis_cache.get("basket-total") is None
        redis_cache.set("basket-total", 1)
    with schema_context(tenant_a.schema_name):
        assert redis_cache.get("basket-total") == 4200
    raw_keys = sorted(k.decode() for k in redis_cache.client.get_client().keys("*basket-total"))
    assert raw_keys == [
        f"{tenant_a.schema_name}::1:basket-total",
        f"{tenant_b.schema_name}::1:basket-total",
    ]


def test_cache_written_through_a_request_on_a_is_invisible_on_b(
    redis_cache, client_for, tenant_a, tenant_b
):
    client_for(tenant_a).put(
        "/api/v1/alpha/cache/motto", {"value": "fresh"}, content_type="application/json"
    )
    seen_on_a = client_for(tenant_a).get("/api/v1/alpha/cache/motto")
    seen_on_b = client_for(tenant_b).get("/api/v1/alpha/cache/motto")
    assert seen_on_a.json() == {"key": "motto", "value": "fresh"}
    assert seen_on_b.json() == {"key": "motto", "value": None}


def test_module_rows_of_a_are_invisible_through_b_api(client_for, tenant_a, tenant_b):
    created = client_for(tenant_a).post(
        "/api/v1/alpha/items", {"name": "Secret stock"}, content_type="application/json"
    )
    assert created.status_code == 201

    listed_on_b = client_for(tenant_b).get("/api/v1/alpha/items")

    assert listed_on_b.json() == {"items": [], "next_cursor": None}
    with schema_context(tenant_b.schema_name):
        assert not AlphaItem.objects.exists()


def test_default_cache_is_tenant_keyed(tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        cache.set("k", "a")
    with schema_context(tenant_b.schema_name):
        assert cache.get("k") is None
