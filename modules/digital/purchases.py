"""What a buyer received for a digital line (``manifest.purchase_summary``): the files of
the purchase with their latest version and size, each leading to the purchase's page in the
library, where the downloads are (links are never put on the order page); and the licence
the buyer accepts at checkout (``manifest.checkout_terms``)."""

from __future__ import annotations

from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from core.catalog.models import Product
from core.commerce.models import OrderLine
from core.commerce.purchases import Received
from core.registry.panels import CheckoutTerm
from modules.digital.models import DigitalProduct
from modules.digital.services.library import REFUNDED, entry_for_line


def received_for_line(order_line: OrderLine) -> list[Received]:
    """One entry per file of the purchase (a refunded one: a single entry saying so)."""
    entry = entry_for_line(order_line.pk)
    if entry is None:
        return []
    url = reverse("digital:purchase", args=[entry.entitlement_id])
    if entry.refunded:
        return [Received(kind="download", title=entry.product_name, detail=REFUNDED)]
    received = []
    for digital_file in entry.files:
        latest = digital_file.latest
        if latest is None:
            detail = "External link, in your library"
        else:
            detail = f"Version {latest.number}, {filesizeformat(latest.size)}"
            if latest.downloads_left is not None:
                detail += f"; {latest.downloads_left} of {latest.download_limit} downloads left"
            if latest.is_preparing:
                detail += "; your copy is being prepared"
        received.append(Received(kind="download", title=digital_file.title, detail=detail, url=url))
    if not received:
        received.append(
            Received(kind="download", title=entry.product_name, detail="In your library", url=url)
        )
    return received


def checkout_terms(products: list[Product]) -> list[CheckoutTerm]:
    """``manifest.checkout_terms``: each digital product's licence, shown at checkout."""
    terms = DigitalProduct.objects.filter(product__in=products).select_related("product")
    return [
        CheckoutTerm(
            product_title=row.product.name,
            heading=f"{row.get_licence_kind_display()} licence",
            text=row.licence_text or f"{row.get_licence_kind_display()}.",
        )
        for row in terms
    ]
