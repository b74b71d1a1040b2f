"""Rate limits: exact counts, recovery, one bucket per tenant/scope/key, no raw keys stored, no
race past the limit. Every behaviour runs against real Redis and against the in-process
fallback the embedded demo uses."""

from __future__ import annotations

import json
import re
import threading
import time

import pytest
from django.test import RequestFactory, override_settings
from django_redis import get_redis_connection  # type: ignore[import-untyped]
from django_tenants.utils import schema_context

from api.errors import on_domain_error
from core import ratelimit
from core.errors import ErrorKind
from core.ratelimit import (
    Rate,
    RateLimited,
    RateLimitErrorCode,
    check,
    client_ip,
    hit,
    peek,
    reset,
)

FIVE_A_MINUTE = Rate(limit=5, period_seconds=60)
START = 1_700_000_000.0  # an injected clock: seconds since the epoch
TENANT_KEYS = {
    "KEY_FUNCTION": "django_tenants.cache.make_key",
    "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
}


@pytest.fixture(params=["redis", "in_process"])
def stored_keys(request):
    """Runs the test on one backend; yields a function listing the bucket keys it stored."""
    if request.param == "redis":
        redis_url = request.getfixturevalue("redis_url")
        redis_cache = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": redis_url,
                "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
                **TENANT_KEYS,
            }
        }
        with override_settings(CACHES=redis_cache):
            client = get_redis_connection("default")
            client.flushdb()
            yield lambda: sorted(key.decode() for key in client.scan_iter())
            client.flushdb()
    else:
        locmem = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", **TENANT_KEYS}
        }
        with override_settings(CACHES=locmem):
            ratelimit._in_process.clear()
            yield lambda: sorted(ratelimit._in_process._tats)
            ratelimit._in_process.clear()


def test_the_attempt_over_the_rate_raises_rate_limited(stored_keys):
    for _ in range(5):
        check(scope="login.account", key="ann@example.com", rate=FIVE_A_MINUTE, now=START)

    with pytest.raises(RateLimited) as raised:
        check(scope="login.account", key="ann@example.com", rate=FIVE_A_MINUTE, now=START)

    error = raised.value
    assert error.code == RateLimitErrorCode.RATE_LIMITED
    assert error.kind == ErrorKind.RATE_LIMITED
    assert error.message == "Too many attempts; try again in 12 seconds."
    assert error.details == {"retry_after": 12, "scope": "login.account"}
    assert error.headers == {"Retry-After": "12"}


def test_hit_counts_down_remaining_then_reports_retry_after(stored_keys):
    statuses = [
        hit(scope="otp", key="user-7", rate=FIVE_A_MINUTE, now=START + 0.1 * i) for i in range(6)
    ]

    assert [s.is_allowed for s in statuses] == [True, True, True, True, True, False]
    assert [s.remaining for s in statuses] == [4, 3, 2, 1, 0, 0]
    assert [s.retry_after for s in statuses] == [0, 0, 0, 0, 0, 12]
    assert {s.limit for s in statuses} == {5}


def test_one_attempt_comes_back_per_interval_and_denied_attempts_do_not_count(stored_keys):
    for _ in range(5):
        hit(scope="otp", key="user-7", rate=FIVE_A_MINUTE, now=START)
    for _ in range(10):  # hammering while limited does not push recovery back
        hit(scope="otp", key="user-7", rate=FIVE_A_MINUTE, now=START + 5)

    after_one_interval = hit(scope="otp", key="user-7", rate=FIVE_A_MINUTE, now=START + 12)
    straight_after = hit(scope="otp", key="user-7", rate=FIVE_A_MINUTE, now=START + 12)

    assert after_one_interval.is_allowed and after_one_interval.remaining == 0
    assert not straight_after.is_allowed and straight_after.retry_after == 12


def test_the_full_burst_is_back_after_the_period(stored_keys):
    for _ in range(5):
        hit(scope="otp", key="user-7", rate=FIVE_A_MINUTE, now=START)

    later = [hit(scope="otp", key="user-7", rate=FIVE_A_MINUTE, now=START + 60) for _ in range(6)]

    assert [s.is_allowed for s in later] == [True, True, True, True, True, False]


def test_the_bucket_recovers_on_the_real_clock(stored_keys):
    once_a_second = Rate.parse("1/s")

    first = hit(scope="signup.ip", key="203.0.113.7", rate=once_a_second)
    second = hit(scope="signup.ip", key="203.0.113.7", rate=once_a_second)
    time.sleep(1.05)
    after_a_second = hit(scope="signup.ip", key="203.0.113.7", rate=once_a_second)

    assert (first.is_allowed, second.is_allowed, after_a_second.is_allowed) == (True, False, True)
    assert second.retry_after == 1
    assert RateLimited(scope="signup.ip", retry_after=1).message == (
        "Too many attempts; try again in 1 second."
    )


def test_peek_reports_without_recording(stored_keys):
    before = [peek(scope="reset", key="ann", rate=FIVE_A_MINUTE, now=START) for _ in range(3)]
    for _ in range(5):
        hit(scope="reset", key="ann", rate=FIVE_A_MINUTE, now=START)
    exhausted = peek(scope="reset", key="ann", rate=FIVE_A_MINUTE, now=START + 2)

    assert [(s.is_allowed, s.remaining) for s in before] == [(True, 5)] * 3
    assert (exhausted.is_allowed, exhausted.remaining, exhausted.retry_after) == (False, 0, 10)


def test_peek_on_an_untouched_bucket_stores_nothing(stored_keys):
    peek(scope="reset", key="ann", rate=FIVE_A_MINUTE)

    assert stored_keys() == []


def test_reset_forgets_the_attempts(stored_keys):
    for _ in range(5):
        hit(scope="login.account", key="ann", rate=FIVE_A_MINUTE, now=START)

    reset(scope="login.account", key="ann")

    assert stored_keys() == []
    assert hit(scope="login.account", key="ann", rate=FIVE_A_MINUTE, now=START).remaining == 4


def test_buckets_are_separate_per_scope_and_per_key(stored_keys):
    for _ in range(5):
        hit(scope="login.account", key="ann", rate=FIVE_A_MINUTE, now=START)

    other_scope = hit(scope="otp", key="ann", rate=FIVE_A_MINUTE, now=START)
    other_key = hit(scope="login.account", key="bob", rate=FIVE_A_MINUTE, now=START)
    same_bucket = hit(scope="login.account", key="ann", rate=FIVE_A_MINUTE, now=START)

    assert (other_scope.is_allowed, other_scope.remaining) == (True, 4)
    assert (other_key.is_allowed, other_key.remaining) == (True, 4)
    assert not same_bucket.is_allowed


def test_tenants_never_share_a_bucket(stored_keys, tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        for _ in range(5):
            hit(scope="login.account", key="ann@example.com", rate=FIVE_A_MINUTE, now=START)

    with schema_context(tenant_b.schema_name):
        on_b = hit(scope="login.account", key="ann@example.com", rate=FIVE_A_MINUTE, now=START)
    with schema_context(tenant_a.schema_name):
        on_a = hit(scope="login.account", key="ann@example.com", rate=FIVE_A_MINUTE, now=START)
        reset(scope="login.account", key="ann@example.com")

    assert (on_b.is_allowed, on_b.remaining) == (True, 4)
    assert not on_a.is_allowed
    # Resetting on A left B's bucket alone.
    assert [key.split(":")[2] for key in stored_keys()] == [tenant_b.schema_name]


def test_raw_keys_are_never_stored(stored_keys):
    hit(scope="login.account", key="ann@example.com", rate=FIVE_A_MINUTE)
    hit(scope="login.ip", key="203.0.113.7", rate=FIVE_A_MINUTE)

    keys = stored_keys()

    assert len(keys) == 2
    for key in keys:
        assert re.fullmatch(r"souk:ratelimit:public:login\.(account|ip):[0-9a-f]{64}", key)
        assert "ann" not in key and "example" not in key and "203.0.113" not in key


def test_stored_values_are_only_timestamps(redis_url):
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": redis_url,
                **TENANT_KEYS,
            }
        }
    ):
        client = get_redis_connection("default")
        client.flushdb()
        hit(scope="login.account", key="ann@example.com", rate=FIVE_A_MINUTE, now=START)
        [key] = list(client.scan_iter())
        value, ttl_ms = client.get(key), client.pttl(key)
        client.flushdb()

    # The theoretical arrival time: now + one 12 s interval; it expires when the bucket is full.
    assert value == str(int(START * 1000) + 12_000).encode()
    assert 11_000 < ttl_ms <= 12_000


def test_concurrent_attempts_cannot_exceed_the_limit(stored_keys):
    start_together = threading.Barrier(20)
    results: list[bool] = []
    results_lock = threading.Lock()

    def attempt() -> None:
        start_together.wait()
        status = hit(scope="login.account", key="ann@example.com", rate=FIVE_A_MINUTE)
        with results_lock:
            results.append(status.is_allowed)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 20
    assert results.count(True) == 5


def test_switched_off_it_allows_everything_and_stores_nothing(stored_keys):
    with override_settings(SOUK_RATELIMIT_ENABLED=False):
        for _ in range(10):
            check(scope="login.account", key="ann", rate=FIVE_A_MINUTE, now=START)
        status = peek(scope="login.account", key="ann", rate=FIVE_A_MINUTE, now=START)

    assert (status.is_allowed, status.remaining, status.retry_after) == (True, 5, 0)
    assert stored_keys() == []


def test_the_api_answers_429_with_retry_after_in_the_envelope(rf: RequestFactory):
    request = rf.get("/api/v1/marketplace")

    response = on_domain_error(request, RateLimited(scope="api.token", retry_after=30))

    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert json.loads(response.content)["error"] == {
        "code": "rate_limited",
        "message": "Too many attempts; try again in 30 seconds.",
        "details": {"retry_after": 30, "scope": "api.token"},
    }


@pytest.mark.parametrize(
    ("text", "limit", "period_seconds"),
    [
        ("5/m", 5, 60),
        ("1/s", 1, 1),
        ("3/h", 3, 3600),
        ("1000/d", 1000, 86400),
        ("100/10m", 100, 600),
        ("2/30s", 2, 30),
    ],
)
def test_rate_parse_reads_limit_and_period(text, limit, period_seconds):
    assert Rate.parse(text) == Rate(limit=limit, period_seconds=period_seconds)


@pytest.mark.parametrize(
    "text", ["", "5", "5/", "/m", "5/x", "m/5", "0/m", "5/0m", "-1/m", "5.5/m", "5/min", " 5/m"]
)
def test_rate_parse_rejects_anything_else(text):
    with pytest.raises(ValueError):
        Rate.parse(text)


def test_client_ip_is_remote_addr_and_ignores_a_spoofed_forwarded_for_by_default(rf):
    request = rf.get("/", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert client_ip(request) == "198.51.100.1"


@pytest.mark.parametrize(
    ("proxy_count", "forwarded_for", "expected"),
    [
        # The client prepended a forged hop; the one our proxy added is on the right.
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        # Fewer hops than proxies: every hop was added by a proxy; take the outermost.
        (2, "203.0.113.9", "203.0.113.9"),
        (1, "2001:DB8:0::1", "2001:db8::1"),
        (1, "not-an-ip", "198.51.100.1"),
        (1, "6.6.6.6, ", "198.51.100.1"),
    ],
)
def test_client_ip_behind_trusted_proxies_takes_the_hop_they_added(
    rf, proxy_count, forwarded_for, expected
):
    request = rf.get("/", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR=forwarded_for)

    with override_settings(SOUK_TRUSTED_PROXY_COUNT=proxy_count):
        assert client_ip(request) == expected


def test_client_ip_without_a_usable_remote_addr_is_unknown(rf):
    request = rf.get("/", REMOTE_ADDR="")

    assert client_ip(request) == "unknown"
