"""Product types: what a module sells, declared in its manifest, never a list in core.

A product's ``product_type`` is one of these keys. The catalogue accepts a key when a module
enabled on the marketplace declares it; sellers are granted keys; checkout holds a line in
escrow when its type says so (unless the operator overrides it for the marketplace)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

# Every ``product_type`` column (products, order lines, tax rules, the search entries) and a
# seller's grants are this wide, so a key must fit without a migration.
PRODUCT_TYPE_MAX_LENGTH = 10
PRODUCT_TYPE_KEY_PATTERN = re.compile(rf"^[a-z][a-z0-9_]{{1,{PRODUCT_TYPE_MAX_LENGTH - 1}}}$")

# What the buyer receives for a line of the type once it is paid.
Delivery = Literal["licence", "download", "enrolment", "booking", "order"]
DELIVERIES: tuple[Delivery, ...] = ("licence", "download", "enrolment", "booking", "order")


@dataclass(frozen=True, kw_only=True)
class ProductTypeSpec:
    """One kind of thing a module sells.

    Two modules may declare the same key only with the same spec: they are alternative
    engines for one kind of product (a marketplace runs one of them), so the label, escrow
    default and delivery must not depend on which one is on."""

    key: str
    label: str
    # Lines of this type are held in escrow until the module releases them, unless the
    # marketplace's operator chose the escrowed types explicitly (commerce settings).
    is_escrow_by_default: bool
    delivers: Delivery
    # Its products may carry a place (latitude/longitude) and are found by geo search.
    has_location: bool = False
    # Its catalogue price is the lowest of several options the buyer chooses between (a gig's
    # cheapest package): cards and product pages say "From ...".
    price_is_from: bool = False
    # Sold only at a recurring price (a membership): the cart refuses a line without a plan
    # and the buy form offers no one-off purchase.
    is_recurring_only: bool = False
