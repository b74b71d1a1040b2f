"""The module's fixtures (the suite's come from the root conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from modules.digital.tests.helpers import T0, Shop


@pytest.fixture
def shop(make_tenant: Any, time_machine: Any) -> Shop:
    time_machine.move_to(T0, tick=False)
    return Shop(make_tenant, "pdf-press")
