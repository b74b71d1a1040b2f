"""The module's API (see ``api_buyer`` and ``api_seller``, and the parts they include).

- ``router`` at ``/api/v1/consulting/``: slots (anyone), holds, bookings (signed-in buyers);
- ``seller_router`` at ``/api/v1/consulting/seller/``: the composition root mounts it behind
  the manifest's permissions (so it sets no auth of its own, nor do its parts)."""

from __future__ import annotations

from modules.consulting import api_aftercare, api_invites, api_session, api_video
from modules.consulting.api_buyer import router
from modules.consulting.api_seller import seller_router

for _part in (api_invites, api_video, api_session, api_aftercare):
    router.add_router("", _part.router)
    seller_router.add_router("", _part.seller_router)

__all__ = ["router", "seller_router"]
