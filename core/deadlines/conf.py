"""The sweeper's tunables, each overridable by a ``SOUK_DEADLINE_*`` setting (defaults here,
read at call time so tests and deployments can change them)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

# A claim ('running') whose worker has not recorded the outcome after this long is taken
# again. Exactly-once does not depend on it (a claim is checked under the row lock before the
# handler runs); it only bounds how long a deadline waits after its worker died.
DEFAULT_LEASE_SECONDS = 120
# Attempts (claims) before a deadline is marked failed for an operator to look at.
DEFAULT_MAX_ATTEMPTS = 5
# The first retry waits this long; each next one twice as long, at most the cap.
DEFAULT_RETRY_BASE_SECONDS = 60
RETRY_CAP = timedelta(hours=6)
# Deadlines claimed per short claim transaction, and fired at most per sweep (per tenant), so
# one marketplace's backlog cannot hold a worker; the next beat tick continues.
CLAIM_BATCH = 20
DEFAULT_SWEEP_LIMIT = 500


def lease() -> timedelta:
    return timedelta(
        seconds=int(getattr(settings, "SOUK_DEADLINE_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))
    )


def max_attempts() -> int:
    return int(getattr(settings, "SOUK_DEADLINE_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def retry_delay(attempts: int) -> timedelta:
    """The wait before the next attempt after ``attempts`` failed ones (1, 2, 4, ... x base)."""
    base = int(getattr(settings, "SOUK_DEADLINE_RETRY_BASE_SECONDS", DEFAULT_RETRY_BASE_SECONDS))
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), RETRY_CAP)
