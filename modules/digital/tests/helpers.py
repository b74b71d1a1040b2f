"""A digital goods marketplace for the module's tests: a seller with a PDF product (12
months of updates, 5 downloads per version), a rival seller, a buyer, and buying it the one
real way (the cart, commerce's checkout, fulfilment after commit)."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from typing import Any

import pikepdf
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.commerce.models import Order
from core.commerce.services.cart import add_product, get_or_create_cart
from core.commerce.services.checkout import CheckoutInput, checkout_cart
from core.events import dispatch_pending
from core.payments.providers.sandbox import SUCCESS_CARD
from modules.digital.models import DigitalProduct
from modules.digital.services import versions
from tests.accounts_helpers import make_user
from tests.catalog_helpers import make_product, make_seller

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def handbook_pdf(pages: int = 2, *, password: str | None = None) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    if password:
        pdf.save(out, encryption=pikepdf.Encryption(owner=password, user=password))
    else:
        pdf.save(out)
    return out.getvalue()


class Shop:
    def __init__(self, make_tenant: Any, slug: str) -> None:
        self.tenant = make_tenant(slug, modules=["digital"]).tenant
        self.seller = make_seller(self.tenant, f"{slug}-maker", product_types=["digital"])
        self.other_seller = make_seller(self.tenant, f"{slug}-rival", product_types=["digital"])
        self.product = make_product(
            self.tenant, self.seller, "Freelancer's Handbook", price=1900, product_type="digital"
        )
        self.buyer = make_user(self.tenant, f"amara@{slug}.example", full_name="Amara Okafor")
        with schema_context(self.tenant.schema_name):
            self.terms = DigitalProduct.objects.create(
                product=self.product, update_months=12, download_limit=5
            )
            self.file = versions.add_file(product=self.terms, title="The handbook (PDF)")

    def upload(self, content: bytes, name: str = "handbook.pdf", changelog: str = "") -> Any:
        with schema_context(self.tenant.schema_name):
            return versions.upload_version(
                file_id=self.file.pk,
                seller_id=self.seller.pk,
                name=name,
                stream=io.BytesIO(content),
                size=len(content),
                changelog=changelog,
            )

    def buy(self, buyer: User, capture: Any) -> Order:
        with schema_context(self.tenant.schema_name):
            cart = get_or_create_cart(buyer=buyer, token=None)
            add_product(cart=cart, product_id=self.product.pk)
            with capture(execute=True):
                order, _, _ = checkout_cart(
                    buyer=buyer,
                    cart=cart,
                    details=CheckoutInput(country="DE"),
                    idempotency_key=uuid.uuid4().hex,
                    payment_method=SUCCESS_CARD,
                )
            dispatch_pending()
            return Order.objects.get(pk=order.pk)
