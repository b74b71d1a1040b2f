"""The alpha module's deadline handler: found by ``core.deadlines`` in this folder, so it is
alpha's and fires only where alpha is on. It counts its committed runs (one ``AlphaItem``
named after the key per run) so tests can prove a deadline fired exactly once; a real
handler would be idempotent instead. ``SOUK_TEST_SLOW_SECONDS`` makes it pause inside the
transaction for the fault tests (see hooks.py)."""

from __future__ import annotations

from core.deadlines.registry import DueDeadline, deadline_handler
from tests.testmodules.alpha.hooks import _pause_for_fault_tests
from tests.testmodules.alpha.models import AlphaItem


@deadline_handler("alpha.count")
def count_run(deadline: DueDeadline) -> None:
    AlphaItem.objects.create(name=deadline.key, quantity=deadline.attempt)
    _pause_for_fault_tests(f"deadline:{deadline.key}")
