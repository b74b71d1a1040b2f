"""Conversion counters, cheap in the request path: one Redis ``HINCRBY`` per event into the
schema's live hash, no database row. The beat task (``core.analytics.flush``) seals the live
hash into a batch (``RENAME``, atomic: later increments start a new live hash) and adds the
batch to the daily aggregates once.

A field of the hash is ``<kind>|<day>|<product>|...`` with ``|`` being the unit separator:

``v|2026-12-06|<slug>``                         product page view (keyed by slug: no query)
``c|2026-12-06|<product id>``                   added to a cart
``s|2026-12-06|<product id>``                   checkout started (order placed)
``p|2026-12-06|<product id>``                   checkout completed (order paid)
``r|2026-12-06|<slug>|<host>|<source>|<medium>|<campaign>``   a view's traffic source

Without Redis (the embedded demo) the counters live in the process, with the same
semantics, so development works; production and the test suite use Redis."""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.cache import caches
from django.db import transaction
from django.utils import timezone
from django_redis.cache import RedisCache  # type: ignore[import-untyped]

from core.schema import current_schema_name

SEPARATOR = "\x1f"
VIEW, ADD_TO_CART, CHECKOUT_STARTED, CHECKOUT_COMPLETED, SOURCE = "v", "c", "s", "p", "r"
# A completed checkout is counted once per order even if its event is delivered again.
SEEN_ORDER_SECONDS = 14 * 24 * 3600
LABEL_LIMIT = 100

# KEYS[1] live hash, KEYS[2] batch hash, KEYS[3] pending set; ARGV[1] batch id.
_SEAL_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('SADD', KEYS[3], ARGV[1])
  return 1
end
return 0
"""
# KEYS[1] seen-order key, KEYS[2] live hash; ARGV[1] ttl, ARGV[2..] fields.
_ONCE_SCRIPT = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[1])) then
  for i = 2, #ARGV do redis.call('HINCRBY', KEYS[2], ARGV[i], 1) end
  return 1
end
return 0
"""


def _prefix(schema: str) -> str:
    return f"souk:analytics:{schema}"


def live_key(schema: str) -> str:
    return f"{_prefix(schema)}:live"


def batch_key(schema: str, batch_id: str) -> str:
    return f"{_prefix(schema)}:batch:{batch_id}"


def pending_key(schema: str) -> str:
    return f"{_prefix(schema)}:pending"


def _clean(value: str) -> str:
    return value.replace(SEPARATOR, " ").strip()[:LABEL_LIMIT]


def field(kind: str, day: date, *parts: object) -> str:
    return SEPARATOR.join([kind, day.isoformat(), *(_clean(str(part)) for part in parts)])


def split_field(raw: str) -> tuple[str, date, list[str]]:
    kind, day, *parts = raw.split(SEPARATOR)
    return kind, date.fromisoformat(day), parts


class _InProcessStore:
    """The Redis layout in a dict, for a deployment without Redis."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.hashes: dict[str, dict[str, int]] = defaultdict(dict)
        self.sets: dict[str, set[str]] = defaultdict(set)
        self.seen: set[str] = set()

    def increment(self, key: str, fields: Iterable[str]) -> None:
        with self._lock:
            target = self.hashes[key]
            for name in fields:
                target[name] = target.get(name, 0) + 1

    def increment_once(self, seen: str, key: str, fields: list[str]) -> bool:
        with self._lock:
            if seen in self.seen:
                return False
            self.seen.add(seen)
        self.increment(key, fields)
        return True

    def seal(self, schema: str, batch_id: str) -> bool:
        with self._lock:
            live = self.hashes.pop(live_key(schema), None)
            if not live:
                return False
            self.hashes[batch_key(schema, batch_id)] = live
            self.sets[pending_key(schema)].add(batch_id)
            return True

    def pending(self, schema: str) -> list[str]:
        with self._lock:
            return sorted(self.sets.get(pending_key(schema), set()))

    def read(self, schema: str, batch_id: str) -> dict[str, int]:
        with self._lock:
            return dict(self.hashes.get(batch_key(schema, batch_id), {}))

    def forget(self, schema: str, batch_id: str) -> None:
        with self._lock:
            self.hashes.pop(batch_key(schema, batch_id), None)
            self.sets[pending_key(schema)].discard(batch_id)

    def discard_all(self, schema: str) -> None:
        with self._lock:
            for key in [key for key in self.hashes if key.startswith(_prefix(schema) + ":")]:
                del self.hashes[key]
            self.sets.pop(pending_key(schema), None)


class _RedisStore:
    def __init__(self, client: Any) -> None:
        self.client = client
        self._seal = client.register_script(_SEAL_SCRIPT)
        self._once = client.register_script(_ONCE_SCRIPT)

    def increment(self, key: str, fields: Iterable[str]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for name in fields:
            pipe.hincrby(key, name, 1)
        pipe.execute()

    def increment_once(self, seen: str, key: str, fields: list[str]) -> bool:
        return bool(self._once(keys=[seen, key], args=[SEEN_ORDER_SECONDS, *fields]))

    def seal(self, schema: str, batch_id: str) -> bool:
        keys = [live_key(schema), batch_key(schema, batch_id), pending_key(schema)]
        return bool(self._seal(keys=keys, args=[batch_id]))

    def pending(self, schema: str) -> list[str]:
        return sorted(member.decode() for member in self.client.smembers(pending_key(schema)))

    def read(self, schema: str, batch_id: str) -> dict[str, int]:
        raw = self.client.hgetall(batch_key(schema, batch_id))
        return {name.decode(): int(value) for name, value in raw.items()}

    def forget(self, schema: str, batch_id: str) -> None:
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(batch_key(schema, batch_id))
        pipe.srem(pending_key(schema), batch_id)
        pipe.execute()

    def discard_all(self, schema: str) -> None:
        keys = list(self.client.scan_iter(match=f"{_prefix(schema)}:*", count=500))
        if keys:
            self.client.delete(*keys)


_in_process = _InProcessStore()
Store = _InProcessStore | _RedisStore


def store() -> Store:
    if isinstance(caches["default"], RedisCache):
        from django_redis import get_redis_connection  # type: ignore[import-untyped]

        return _RedisStore(get_redis_connection("default"))
    return _in_process


def _today() -> date:
    return timezone.now().date()


def _after_commit(schema: str, fields: list[str]) -> None:
    """Counted when the caller's transaction commits (a refused cart add counts nothing);
    a counter that cannot be written never fails the buyer's request."""

    def write() -> None:
        try:
            store().increment(live_key(schema), fields)
        except Exception:
            import logging

            logging.getLogger(__name__).warning("analytics counter not written", exc_info=True)

    transaction.on_commit(write)


def record_product_view(
    *, slug: str, referrer_host: str = "", source: str = "", medium: str = "", campaign: str = ""
) -> None:
    schema, today = current_schema_name(), _today()
    fields = [field(VIEW, today, slug)]
    fields.append(field(SOURCE, today, slug, referrer_host, source, medium, campaign))
    _after_commit(schema, fields)


def record_add_to_cart(*, product_id: int) -> None:
    _after_commit(current_schema_name(), [field(ADD_TO_CART, _today(), product_id)])


def record_checkout_started(*, product_ids: Iterable[int]) -> None:
    today = _today()
    fields = [field(CHECKOUT_STARTED, today, pk) for pk in sorted(set(product_ids))]
    if fields:
        _after_commit(current_schema_name(), fields)


def record_checkout_completed(*, order_id: int, product_ids: Iterable[int]) -> bool:
    """Once per order (the outbox may deliver ``order.paid`` again); False when counted
    before."""
    schema, today = current_schema_name(), _today()
    fields = [field(CHECKOUT_COMPLETED, today, pk) for pk in sorted(set(product_ids))]
    if not fields:
        return False
    seen = f"{_prefix(schema)}:seen-order:{order_id}"
    return store().increment_once(seen, live_key(schema), fields)


def new_batch_id() -> str:
    return uuid.uuid4().hex
