"""One client cannot spend a marketplace's shared API allowance: the caller's own bucket is
checked first and only what it admits counts against the marketplace's bucket. IP buckets
group an IPv6 client by its /64 (IPv4 per address; IPv4-mapped IPv6 is IPv4)."""

from __future__ import annotations

import json

from django.test import Client

from core import ratelimit
from modules.licensing.tests.helpers import make_licensing_shop, make_licensing_tenant
from modules.licensing.tests.validation_helpers import make_license, post
from tests.accounts_helpers import PASSWORD, call, make_user

MARKETPLACE = "/api/v1/marketplace"


def get_from(client: Client, ip: str) -> int:
    return client.get(MARKETPLACE, REMOTE_ADDR=ip).status_code


def scope_of(response) -> str:
    return response.json()["error"]["details"]["scope"]


def test_one_ip_hammering_an_anonymous_endpoint_leaves_the_marketplace_to_everyone_else(
    client_for, tenant_a, settings
):
    settings.SOUK_RATES = {
        "api_anonymous_ip": "3/m",
        "api_principal": "100/m",
        "api_tenant": "10/m",
    }
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)

    hammering = [get_from(client, "203.0.113.5") for _ in range(40)]
    other_visitor = get_from(client, "198.51.100.7")
    buyer = client_for(tenant_a)
    signed_in = call(
        buyer, "post", "/auth/login", {"email": "ann@example.com", "password": PASSWORD}
    )
    buyer_call = call(buyer, "get", "/me")

    assert hammering == [200] * 3 + [429] * 37
    assert scope_of(client.get(MARKETPLACE, REMOTE_ADDR="203.0.113.5")) == "api_anonymous"
    assert other_visitor == 200
    assert signed_in.status_code == 200 and buyer_call.status_code == 200
    # The marketplace bucket counted only the admitted calls (3 + 1 + /me; the sign-in is an
    # anonymous call too): 10 - 6 = 4 calls are left for anybody, then it refuses.
    others = [get_from(client, f"192.0.2.{n}") for n in range(1, 6)]
    assert others == [200, 200, 200, 200, 429]
    assert scope_of(client.get(MARKETPLACE, REMOTE_ADDR="192.0.2.99")) == "api_tenant"


def test_one_ip_looping_licence_validation_does_not_lock_out_other_installations(
    make_tenant, client_for, settings
):
    settings.SOUK_RATES = {"api_tenant": "10/m"}
    tenant = make_licensing_tenant(
        make_tenant, module_config={"licensing": {"validations_per_ip_per_minute": 3}}
    )
    shop = make_licensing_shop(tenant)
    victim_key = make_license(shop).key
    client = client_for(tenant)

    looping = [post(client, "/validate", {"key": "nope"}, ip="203.0.113.5") for _ in range(30)]
    installation = post(client, "/validate", {"key": victim_key}, ip="198.51.100.7")

    assert [r.status_code for r in looping] == [200] * 3 + [429] * 27
    assert {scope_of(r) for r in looping[3:]} == {"licensing_ip"}
    # Answered (the licence has no machine yet), not refused.
    assert (installation.status_code, installation.json()["code"]) == (200, "NO_MACHINE")
    # 3 + 1 counted of the marketplace's 10: six more installations get through.
    others = [
        post(client, "/validate", {"key": victim_key}, ip=f"192.0.2.{n}").status_code
        for n in range(1, 8)
    ]
    assert others == [200] * 6 + [429]


def test_ipv6_clients_share_a_bucket_per_64(client_for, tenant_a, settings):
    settings.SOUK_RATES = {"api_anonymous_ip": "2/m"}
    client = client_for(tenant_a)

    same_64 = [get_from(client, ip) for ip in ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9")]
    third_in_that_64 = get_from(client, "2001:db8:1:2:abcd:ef01:2345:6789")
    next_64 = get_from(client, "2001:db8:1:3::1")

    assert same_64 == [200, 200]
    assert third_in_that_64 == 429
    assert next_64 == 200


def test_ipv4_is_per_address_and_ipv4_mapped_ipv6_is_the_same_client(
    client_for, tenant_a, settings
):
    settings.SOUK_RATES = {"api_anonymous_ip": "2/m"}
    client = client_for(tenant_a)

    mapped_and_plain = [get_from(client, ip) for ip in ("::ffff:198.51.100.7", "198.51.100.7")]
    third = get_from(client, "::ffff:c633:6407")  # 198.51.100.7 again, in hex
    neighbour = get_from(client, "198.51.100.8")

    assert mapped_and_plain == [200, 200]
    assert third == 429
    assert neighbour == 200


def test_sign_in_ip_limits_group_ipv6_by_64_too(client_for, tenant_a, settings):
    settings.SOUK_RATES = {"login_ip": "2/m", "login_account": "100/m"}
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)

    def attempt(ip: str) -> int:
        body = json.dumps({"email": "ann@example.com", "password": "wrong guess"})
        return client.post(
            "/api/v1/auth/login", body, content_type="application/json", REMOTE_ADDR=ip
        ).status_code

    assert [attempt("2001:db8:7:7::1"), attempt("2001:db8:7:7::2")] == [401, 401]
    assert attempt("2001:db8:7:7:1:2:3:4") == 429
    assert attempt("2001:db8:7:8::1") == 401


def test_ip_bucket_keys():
    assert ratelimit.ip_bucket_key("203.0.113.5") == "203.0.113.5"
    assert ratelimit.ip_bucket_key("::ffff:203.0.113.5") == "203.0.113.5"
    assert ratelimit.ip_bucket_key("2001:DB8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert ratelimit.ip_bucket_key("2001:db8:1:2::1") == ratelimit.ip_bucket_key("2001:db8:1:2::2")
    assert ratelimit.ip_bucket_key("unknown") == "unknown"
