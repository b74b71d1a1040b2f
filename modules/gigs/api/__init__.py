"""The gigs API.

- ``router`` at ``/api/v1/gigs/``: a gig's listing (public), quotes and the buyer's orders
  (signed in): ``api/buyer.py``;
- ``seller_router`` at ``/api/v1/gigs/seller/``: gig set-up and the order queue, deliveries;
  the composition root mounts it behind the manifest's ``permissions`` (``api/seller.py``).

Another user's order, and another seller's gig or order, are 404 like ones that do not
exist; where the module is off every route is 404 (the registry's guard)."""

from modules.gigs.api.buyer import router
from modules.gigs.api.seller import seller_router

__all__ = ["router", "seller_router"]
