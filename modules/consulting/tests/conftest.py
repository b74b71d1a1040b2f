"""A consulting marketplace for the module's tests (the suite's fixtures come from the root
conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from modules.consulting.tests.helpers import (
    T0,
    Consulting,
    make_consulting,
    make_consulting_tenant,
)


@pytest.fixture
def consulting(make_tenant: Any, time_machine: Any) -> Consulting:
    """Monday 7 December 2026, 08:00 UTC; Ada (Berlin, weekdays 09-17) sells a strategy call
    and a three-seat workshop; Bob is in New York."""
    time_machine.move_to(T0, tick=False)
    return make_consulting(make_consulting_tenant(make_tenant))
