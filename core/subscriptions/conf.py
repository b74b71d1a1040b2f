"""The subscription timers, each overridable by a ``SOUK_SUBSCRIPTION_*`` setting (defaults
here, read at call time so tests and deployments can change them)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

# Dunning: after the 1st, 2nd and 3rd failed charge the next try waits 1, 3 and 5 days; when
# the try after the last delay fails too, the subscription is cancelled (4 charges in 9 days).
DEFAULT_RETRY_DELAYS_DAYS: tuple[int, ...] = (1, 3, 5)
# A renewal being charged is hidden from other beat runs this long; a worker that died
# mid-charge leaves it due again afterwards (the order and the provider key make it safe).
DEFAULT_CLAIM_MINUTES = 15


def retry_delays() -> tuple[timedelta, ...]:
    days = getattr(settings, "SOUK_SUBSCRIPTION_RETRY_DELAYS_DAYS", DEFAULT_RETRY_DELAYS_DAYS)
    return tuple(timedelta(days=int(day)) for day in days)


def claim_duration() -> timedelta:
    return timedelta(
        minutes=int(getattr(settings, "SOUK_SUBSCRIPTION_CLAIM_MINUTES", DEFAULT_CLAIM_MINUTES))
    )
