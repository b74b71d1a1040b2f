"""The module's API (see ``api_buyer`` and ``api_seller``).

- ``router`` at ``/api/v1/consulting/``: slots (anyone), holds, bookings (signed-in buyers);
- ``seller_router`` at ``/api/v1/consulting/seller/``: the composition root mounts it behind
  the manifest's ``permissions`` (so it sets no auth of its own)."""

from __future__ import annotations

from modules.consulting.api_buyer import router
from modules.consulting.api_seller import seller_router

__all__ = ["router", "seller_router"]
