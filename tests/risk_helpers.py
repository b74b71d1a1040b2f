"""Shared by the fraud-check tests."""

from __future__ import annotations

from typing import Any

from core.payments.providers.base import ChargeRequest
from core.payments.providers.sandbox import SandboxProvider


def spy_on_sandbox_charges(monkeypatch: Any) -> list[ChargeRequest]:
    """Every charge the sandbox provider is asked for, in order (the real sandbox still
    answers): what reached the provider, and what a block kept from it."""
    asked: list[ChargeRequest] = []
    original = SandboxProvider.charge

    def spy(self: SandboxProvider, request: ChargeRequest) -> Any:
        asked.append(request)
        return original(self, request)

    monkeypatch.setattr(SandboxProvider, "charge", spy)
    return asked
