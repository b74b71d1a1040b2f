"""What the recommenders learn from paid orders, per tenant (schema): who bought what, how many
buyers bought each pair of products, and how many buyers bought each product. Written only by
``services.record_purchases`` from ``order.paid`` events; each order is counted once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.catalog.models import Product


class RecordedOrder(models.Model):
    """An order whose purchases were counted: a replayed ``order.paid`` finds its row and
    counts nothing."""

    order_id = models.BigIntegerField(primary_key=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"recorded order {self.order_id}"


class BuyerProduct(models.Model):
    """A product a buyer paid for (once, however many orders): the co-purchase counts are
    buyers who bought both, not orders."""

    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    first_bought_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["buyer", "product"], name="reco_buyer_product_once")
        ]
        indexes = [models.Index(fields=["buyer", "-first_bought_at"], name="reco_buyer_recent")]

    def __str__(self) -> str:
        return f"{self.buyer_id} bought {self.product_id}"


class PurchasePair(models.Model):
    """How many buyers bought both ``product`` and ``other``. Stored in both directions, so a
    product's "customers also bought" is one index range."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    buyers = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "other"], name="reco_pair_once"),
            models.CheckConstraint(condition=~Q(product=F("other")), name="reco_pair_distinct"),
        ]
        indexes = [models.Index(fields=["product", "-buyers"], name="reco_pair_top")]

    def __str__(self) -> str:
        return f"{self.product_id} + {self.other_id}: {self.buyers}"


class ProductSales(models.Model):
    """How many buyers bought the product: the bestsellers of the cold-start fallbacks."""

    product = models.OneToOneField(
        Product, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    buyers = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["-buyers"], name="reco_sales_top")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.buyers} buyers"


class ProductEmbedding(models.Model):
    """A product's sentence embedding (float32, ``embeddings.DIMENSIONS`` of them, unit length)
    for the optional "similar products" by meaning; in the tenant's schema like everything
    else. ``text_digest`` says which text it was made from, so an unchanged product is not
    embedded again."""

    product = models.OneToOneField(
        Product, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    vector = models.BinaryField()
    text_digest = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"embedding of {self.product_id}"
