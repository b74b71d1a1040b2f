"""Gigs in catalogue search: the "Delivery time" facet (``?delivery=3``: a package delivers
within 3 days). A gig carries ``d:<n>`` for every option its fastest package meets, so each
count is what that filter shows; ``services/listing`` keeps the terms when packages change."""

from __future__ import annotations

from core.catalog.search.query import ModuleFacetSpec

DELIVERY_PREFIX = "d"
DELIVERY_OPTIONS = (1, 3, 7)  # "up to n days"; no filter is "any"

DELIVERY = ModuleFacetSpec(
    param="delivery",
    label="Delivery time",
    prefix=DELIVERY_PREFIX,
    options=tuple(
        (str(days), "Up to 24 hours" if days == 1 else f"Up to {days} days")
        for days in DELIVERY_OPTIONS
    ),
)
FACETS = (DELIVERY,)


def delivery_keys(fastest_days: int | None) -> list[str]:
    """The terms of a gig whose fastest package takes ``fastest_days`` (None: no packages)."""
    if fastest_days is None:
        return []
    return [DELIVERY.key(str(days)) for days in DELIVERY_OPTIONS if fastest_days <= days]
