"""Rate limits for login, OTP, password reset, sign-up and the API.

A bucket is (tenant schema, scope, key): ``scope`` names what is limited ("login.ip",
"otp.account"), ``key`` says whose attempts they are (an IP, an e-mail, a token). Buckets live
in Redis when the default cache is django-redis, otherwise (the embedded demo) in this process.

The algorithm is GCRA (the generic cell rate algorithm): one timestamp per bucket, updated by
a Lua script so concurrent requests cannot both take the last attempt. ``Rate("5/15m")``
allows a burst of 5, then one more attempt every 3 minutes; after 15 quiet minutes the full
burst is back. Over any long stretch that is never more than 5 per 15 minutes.
"""

from __future__ import annotations

import ipaddress
import math
import re
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django_redis import get_redis_connection  # type: ignore[import-untyped]
from django_redis.cache import RedisCache  # type: ignore[import-untyped]

from core.errors import DomainError, ErrorKind

KEY_PREFIX = "souk:ratelimit"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE_PATTERN = re.compile(r"(\d+)/(\d*)([smhd])")


@dataclass(frozen=True)
class Rate:
    limit: int
    period_seconds: int

    def __post_init__(self) -> None:
        if self.limit < 1 or self.period_seconds < 1:
            raise ValueError(f"A rate needs a positive limit and period, not {self!r}.")

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"5/m"``, ``"100/10m"``, ``"3/h"``, ``"1000/d"``."""
        match = _RATE_PATTERN.fullmatch(text)
        if match is None:
            raise ValueError(f"Not a rate: {text!r}; write it like '5/m' or '100/10m'.")
        limit, count, unit = match.groups()
        return cls(limit=int(limit), period_seconds=int(count or 1) * _UNITS[unit])

    @property
    def interval_ms(self) -> int:
        """GCRA's emission interval, rounded up so a burst never exceeds ``limit``."""
        return math.ceil(self.period_seconds * 1000 / self.limit)


@dataclass(frozen=True)
class RateLimitStatus:
    is_allowed: bool
    limit: int
    # Attempts still allowed right now (after this one, for a hit).
    remaining: int
    # Seconds until the next attempt is allowed; 0 when this one was.
    retry_after: int


class RateLimitErrorCode(StrEnum):
    RATE_LIMITED = "rate_limited"


class RateLimited(DomainError):
    kind = ErrorKind.RATE_LIMITED

    def __init__(self, *, scope: str, retry_after: int) -> None:
        unit = "second" if retry_after == 1 else "seconds"
        super().__init__(
            RateLimitErrorCode.RATE_LIMITED,
            f"Too many attempts; try again in {retry_after} {unit}.",
            details={"retry_after": retry_after, "scope": scope},
            headers={"Retry-After": str(retry_after)},
        )
        self.scope = scope
        self.retry_after = retry_after


def hit(*, scope: str, key: str, rate: Rate, now: float | None = None) -> RateLimitStatus:
    """Record one attempt. ``now`` (seconds since the epoch) is for tests; by default Redis's
    clock decides, so app servers with drifting clocks share one notion of time."""
    return _evaluate(scope=scope, key=key, rate=rate, now=now, is_recorded=True)


def check(*, scope: str, key: str, rate: Rate, now: float | None = None) -> None:
    """Record one attempt and raise ``RateLimited`` when it is over the rate."""
    status = hit(scope=scope, key=key, rate=rate, now=now)
    if not status.is_allowed:
        raise RateLimited(scope=scope, retry_after=status.retry_after)


@dataclass(frozen=True)
class Bucket:
    scope: str
    key: str
    rate: Rate


def check_in_order(*buckets: Bucket) -> None:
    """Record one attempt in each bucket in turn and raise ``RateLimited`` at the first that
    refuses it; the buckets after that one never see the attempt. Callers list the caller's
    own buckets (IP, key, account) before the shared ones (the whole marketplace), so attempts
    a client's own bucket refused cannot spend everyone else's shared allowance."""
    for bucket in buckets:
        check(scope=bucket.scope, key=bucket.key, rate=bucket.rate)


def peek(*, scope: str, key: str, rate: Rate, now: float | None = None) -> RateLimitStatus:
    """Whether an attempt would be allowed, without recording one."""
    return _evaluate(scope=scope, key=key, rate=rate, now=now, is_recorded=False)


def reset(*, scope: str, key: str) -> None:
    """Forget the attempts in a bucket, e.g. after a successful login."""
    bucket = bucket_key(scope=scope, key=key)
    client = _redis_client()
    if client is not None:
        client.delete(bucket)
    else:
        _in_process.delete(bucket)


def bucket_key(*, scope: str, key: str) -> str:
    """The storage key: namespaced by tenant schema and scope; the raw key (an e-mail, an IP,
    a token) is reduced to a keyed SHA-256, so a Redis dump reveals none of them."""
    digest = salted_hmac(KEY_PREFIX, key, algorithm="sha256").hexdigest()
    schema: str = connection.schema_name  # type: ignore[attr-defined]  # django-tenants adds it
    return f"{KEY_PREFIX}:{schema}:{scope}:{digest}"


def client_ip(request: HttpRequest) -> str:
    """The client's address. ``X-Forwarded-For`` is anyone's to write, so it is read only
    behind ``SOUK_TRUSTED_PROXY_COUNT`` proxies, taking the hop the outermost of them added."""
    remote = _normalised_ip(request.META.get("REMOTE_ADDR", "")) or "unknown"
    proxy_count: int = getattr(settings, "SOUK_TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxy_count <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",")]
    return _normalised_ip(hops[-min(proxy_count, len(hops))]) or remote


def ip_bucket_key(address: str) -> str:
    """The key of every per-IP bucket: an IPv4 address by itself, an IPv6 address by its /64.
    One IPv6 subscriber holds at least a /64, so per-address buckets would hand them 2**64
    fresh ones. Anything that is not an address (``"unknown"``) is its own key."""
    normalised = _normalised_ip(address)
    if normalised is None:
        return address
    parsed = ipaddress.ip_address(normalised)
    if parsed.version == 4:
        return normalised
    return str(ipaddress.ip_network((parsed, 64), strict=False))


def client_ip_bucket_key(request: HttpRequest) -> str:
    """``ip_bucket_key`` of the request's client."""
    return ip_bucket_key(client_ip(request))


def _normalised_ip(value: str) -> str | None:
    """The canonical text of an address; an IPv4-mapped IPv6 address (``::ffff:192.0.2.1``,
    what a dual-stack socket reports for IPv4 clients) is its IPv4 address."""
    try:
        parsed = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(parsed)


def _is_enabled() -> bool:
    return bool(getattr(settings, "SOUK_RATELIMIT_ENABLED", True))


def _evaluate(
    *, scope: str, key: str, rate: Rate, now: float | None, is_recorded: bool
) -> RateLimitStatus:
    if not _is_enabled():
        return RateLimitStatus(
            is_allowed=True, limit=rate.limit, remaining=rate.limit, retry_after=0
        )
    bucket = bucket_key(scope=scope, key=key)
    now_ms = None if now is None else int(now * 1000)
    client = _redis_client()
    if client is not None:
        script = client.register_script(_GCRA_SCRIPT)
        is_allowed, remaining, retry_ms = script(
            keys=[bucket],
            args=[rate.interval_ms, rate.limit, "" if now_ms is None else now_ms, int(is_recorded)],
        )
    else:
        is_allowed, remaining, retry_ms = _in_process.evaluate(
            bucket,
            interval_ms=rate.interval_ms,
            limit=rate.limit,
            now_ms=int(time.time() * 1000) if now_ms is None else now_ms,
            is_recorded=is_recorded,
        )
    return RateLimitStatus(
        is_allowed=bool(is_allowed),
        limit=rate.limit,
        remaining=int(remaining),
        retry_after=0 if is_allowed else max(1, math.ceil(int(retry_ms) / 1000)),
    )


def _redis_client() -> Any:
    """The raw redis-py client of the default cache, or None when it is not django-redis."""
    if isinstance(caches["default"], RedisCache):
        return get_redis_connection("default")
    return None


# GCRA. The bucket holds the "theoretical arrival time" (TAT) in milliseconds; an attempt is
# allowed while TAT + interval stays within limit * interval of now. The key expires when the
# bucket is full again, so idle buckets cost nothing. _InProcessBuckets.evaluate is the same
# arithmetic in Python; the test suite runs every case against both.
_GCRA_SCRIPT = """
local interval = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if not now then
  local clock = redis.call('TIME')
  now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
end
local capacity = interval * limit
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if ARGV[4] == '0' then
  local remaining = math.floor((capacity - (tat - now)) / interval)
  if remaining > 0 then return {1, remaining, 0} end
  return {0, 0, tat + interval - capacity - now}
end
local new_tat = tat + interval
if new_tat - now > capacity then
  return {0, 0, new_tat - capacity - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now)
return {1, math.floor((capacity - (new_tat - now)) / interval), 0}
"""


class _InProcessBuckets:
    """The same algorithm for a process without Redis. Good for one process only: the embedded
    demo; several workers would each count separately."""

    # Expired buckets are swept when the table grows past this, not on a timer.
    SWEEP_AT = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tats: dict[str, int] = {}

    def evaluate(
        self, bucket: str, *, interval_ms: int, limit: int, now_ms: int, is_recorded: bool
    ) -> tuple[int, int, int]:
        capacity = interval_ms * limit
        with self._lock:
            tat = max(self._tats.get(bucket, now_ms), now_ms)
            if not is_recorded:
                remaining = (capacity - (tat - now_ms)) // interval_ms
                if remaining > 0:
                    return 1, remaining, 0
                return 0, 0, tat + interval_ms - capacity - now_ms
            new_tat = tat + interval_ms
            if new_tat - now_ms > capacity:
                return 0, 0, new_tat - capacity - now_ms
            self._tats[bucket] = new_tat
            if len(self._tats) > self.SWEEP_AT:
                self._sweep(now_ms)
            return 1, (capacity - (new_tat - now_ms)) // interval_ms, 0

    def delete(self, bucket: str) -> None:
        with self._lock:
            self._tats.pop(bucket, None)

    def clear(self) -> None:
        with self._lock:
            self._tats.clear()

    def _sweep(self, now_ms: int) -> None:
        self._tats = {bucket: tat for bucket, tat in self._tats.items() if tat > now_ms}


_in_process = _InProcessBuckets()


def clear_all_buckets() -> None:
    """Forget every bucket of every tenant (tests, and an operator's emergency reset)."""
    _in_process.clear()
    client = _redis_client()
    if client is not None:
        for key in client.scan_iter(match=f"{KEY_PREFIX}:*", count=1000):
            client.delete(key)
