"""Digital goods in the partner API (``/api/v1/partner/v1/digital/``): every operation names
the seller key permission it needs (``core.sellers.auth.seller_key_auth``)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["digital"])
