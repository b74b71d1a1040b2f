"""A seller's public profile with the figure only commerce knows: how many of their orders
were completed. Sellers sit below commerce (commerce builds on sellers), so the profile's
seller fields come from ``core.sellers.selectors.profile_fields`` and the count is added
here, where both are importable, rather than by a function-level import in sellers."""

from __future__ import annotations

from typing import Any

from core.commerce.models import OrderStatus, SubOrder
from core.sellers.models import Seller
from core.sellers.selectors import profile_fields


def completed_order_count(seller: Seller) -> int:
    """The seller's sub-orders that reached "completed", counted from the orders themselves
    (one query on the sub-orders' seller index) rather than a counter something must keep in
    step."""
    return SubOrder.objects.filter(seller=seller, status=OrderStatus.COMPLETED).count()


def public_seller_profile(seller: Seller) -> dict[str, Any]:
    """What a buyer (or the seller's own API key) sees of a seller."""
    return {**profile_fields(seller), "completed_orders": completed_order_count(seller)}
