"""The buyer's API of digital goods, mounted at ``/api/v1/digital/``."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["digital"])
