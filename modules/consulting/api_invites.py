"""Part of the module's API (owned by H1 this session): ``router`` joins the buyer router at
``/api/v1/consulting/``, ``seller_router`` the seller router (no auth of its own)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["consulting"])
seller_router = Router(tags=["consulting"])
