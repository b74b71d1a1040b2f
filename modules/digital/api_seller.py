"""The seller's API of digital goods, mounted at ``/api/v1/digital/seller/`` behind the
manifest's permissions (so it sets no auth of its own)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["digital"])
