"""Embed the current schema's products for "similar products" by meaning (after turning
``SOUK_RECOMMENDATION_EMBEDDINGS`` on; later changes are embedded by the outbox consumer).
Per tenant through django-tenants: ``manage.py tenant_command embed_products --schema=t_x``,
or every tenant with ``manage.py all_tenants_command embed_products``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.catalog.models import Product
from core.recommendations.services.embed_products import embed_products


class Command(BaseCommand):
    help = "Embed this tenant's products whose text is new or changed (WordLlama, offline)."

    def handle(self, *args: Any, **options: Any) -> None:
        ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
        written = embed_products(product_ids=ids)
        self.stdout.write(f"{written} of {len(ids)} product(s) embedded")
