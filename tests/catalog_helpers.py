"""Catalogue fixtures made through the services: sellers, categories, published products."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django_tenants.utils import schema_context

from core.accounts.models import Role, User
from core.catalog.models import Product, ProductStatus
from core.catalog.services.categories import create_category
from core.catalog.services.moderation import approve_product
from core.catalog.services.products import ProductData, create_product, transition
from core.sellers.models import Seller, VerificationStatus
from tenants.models import Tenant
from tests.accounts_helpers import PASSWORD


def make_seller(
    tenant: Tenant,
    slug: str,
    name: str | None = None,
    *,
    product_types: Iterable[str] = ("software",),
) -> Seller:
    """A verified seller granted ``product_types`` (keys modules declare)."""
    with schema_context(tenant.schema_name):
        owner = User.objects.create_user(f"{slug}@example.com", PASSWORD, role=Role.SELLER)
        return Seller.objects.create(
            owner=owner,
            slug=slug,
            business_name=name or slug.title(),
            legal_form="company",
            verification_status=VerificationStatus.VERIFIED,
            product_type_grants=sorted(set(product_types)),
        )


def make_category(tenant: Tenant, name: str, parent: Any = None) -> Any:
    with schema_context(tenant.schema_name):
        return create_category(name=name, parent_id=parent.pk if parent else None)


def make_product(
    tenant: Tenant,
    seller: Seller,
    name: str,
    *,
    price: int = 1000,
    publish: bool = True,
    **fields: Any,
) -> Product:
    with schema_context(tenant.schema_name):
        data = ProductData(
            name=name,
            product_type=fields.pop("product_type", "software"),
            prices=fields.pop("prices", {"USD": price}),
            **fields,
        )
        product = create_product(seller=seller, data=data)
        if publish:
            transition(product=product, action="publish")
            approve_product(product=product)
        product.refresh_from_db()
        assert product.status == (ProductStatus.PUBLISHED if publish else ProductStatus.DRAFT)
        return product
