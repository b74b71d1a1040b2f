"""The catalogue of one marketplace: a category tree, products of every type with prices in
several currencies, variants (tiers, seat packs) and images."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse

from core.registry.product_types import PRODUCT_TYPE_MAX_LENGTH
from core.schema import current_schema_name
from core.sellers.models import Seller


class Category(models.Model):
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True, max_length=2000)
    position = models.PositiveIntegerField(default=0)
    # Materialised ancestry ("/3/17/42/"), kept by the category services, so a subtree is one
    # indexed prefix match.
    path = models.CharField(max_length=400, db_index=True, default="/")
    depth = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["path", "position"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class ProductStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected"
    ARCHIVED = "archived", "Archived"


class Product(models.Model):
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=160)
    slug = models.SlugField(max_length=180, unique=True)
    summary = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True, max_length=20_000)
    # A key some module's manifest declares (core.registry.product_types), checked by the
    # product services against the registry and the marketplace's modules, not a DB enum.
    product_type = models.CharField(max_length=PRODUCT_TYPE_MAX_LENGTH)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    trial_days = models.PositiveSmallIntegerField(default=0)
    features = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=ProductStatus.choices, default=ProductStatus.DRAFT
    )
    moderation_note = models.CharField(max_length=500, blank=True)
    is_featured = models.BooleanField(default=False)
    # Reputation, maintained by reviews (a later issue): integer stars, exact averages.
    rating_count = models.PositiveIntegerField(default=0)
    rating_total = models.PositiveIntegerField(default=0)
    # Services with a place (consulting on site): WGS84 degrees x 1e6, integers.
    latitude_e6 = models.IntegerField(null=True, blank=True)
    longitude_e6 = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "product_type"], name="product_status_type"),
            # "Newest first" pages read 25 rows off this index instead of sorting the catalogue.
            models.Index(
                F("published_at").desc(),
                F("id").desc(),
                condition=Q(status="published"),
                name="product_published_newest",
            ),
            models.Index(fields=["seller", "status"], name="product_seller_status"),
            models.Index(fields=["category", "status"], name="product_category_status"),
            # Prefix auto-suggest on names (text_pattern_ops: LIKE 'abc%' uses the index).
            models.Index(
                OpClass(Lower("name"), name="text_pattern_ops"), name="product_name_lower"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating_total__lte=models.F("rating_count") * 5),
                name="product_rating_total_in_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude_e6__isnull=True, longitude_e6__isnull=True)
                | Q(
                    latitude_e6__gte=-90_000_000,
                    latitude_e6__lte=90_000_000,
                    longitude_e6__gte=-180_000_000,
                    longitude_e6__lte=180_000_000,
                ),
                name="product_location_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.status == ProductStatus.PUBLISHED

    @property
    def rating_average_tenths(self) -> int | None:
        if not self.rating_count:
            return None
        return (self.rating_total * 10 + self.rating_count // 2) // self.rating_count


class ProductVariant(models.Model):
    """A purchasable option: a tier (basic/standard/premium) or a seat pack."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=80)
    sku = models.SlugField(max_length=80)
    seats = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "sku"], name="variant_sku_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.product_id}/{self.sku}"


class ProductPrice(models.Model):
    """A price in minor units; ``variant`` null is the product's base price."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.CASCADE, related_name="prices"
    )
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="price_not_negative"),
            models.UniqueConstraint(
                fields=["product", "currency"],
                condition=Q(variant__isnull=True),
                name="one_base_price_per_currency",
            ),
            models.UniqueConstraint(
                fields=["variant", "currency"],
                condition=Q(variant__isnull=False),
                name="one_variant_price_per_currency",
            ),
        ]
        indexes = [
            models.Index(fields=["currency", "amount"], name="price_currency_amount"),
            # Searches sorted by price read the first base prices off this index.
            models.Index(
                fields=["currency", "amount", "product"],
                condition=Q(variant__isnull=True),
                name="price_base_currency_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def product_image_upload_path(instance: ProductImage, filename: str) -> str:
    # Tenant-prefixed, never the uploader's file name; ``key`` is new for every upload, so a
    # file's URL never changes meaning (served with a long cache lifetime).
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return (
        f"{current_schema_name()}/catalog/products/{instance.product_id}/"
        f"{instance.key}/original.{extension}"
    )


class ProductImage(models.Model):
    """A product picture: either an external ``url`` (the API's images) or an uploaded
    ``file`` in the tenant's storage with its responsive sizes in ``variants``, written by
    ``core.catalog.services.images``::

        {"webp": [{"width": 320, "height": 180, "name": "<storage name>"}, ...],
         "fallback": {"width": 1280, "height": 720, "name": "...", "content_type": "image/jpeg"}}

    Templates read an image through ``core.catalog.services.images.image_view``; ``src`` is the
    one URL to show anywhere a single URL is wanted."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    url = models.URLField(max_length=500, blank=True)
    key = models.CharField(max_length=32, blank=True)
    file = models.FileField(upload_to=product_image_upload_path, max_length=300, blank=True)
    content_type = models.CharField(max_length=40, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    variants = models.JSONField(default=dict, blank=True)
    alt = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(~Q(url="") & Q(file="")) | (Q(url="") & ~Q(file="") & ~Q(key="")),
                name="product_image_url_or_file",
            )
        ]

    def __str__(self) -> str:
        return self.url or self.file.name or ""

    @property
    def is_uploaded(self) -> bool:
        return bool(self.file)

    @property
    def src(self) -> str:
        """One URL for this image: the external URL, or the uploaded image's fallback size."""
        if not self.is_uploaded:
            return self.url
        return variant_url(self, "fallback")


def variant_url(image: ProductImage, variant: str) -> str:
    """The app's URL of one stored size (``w320``, ``w640``, ``w1280``, ``fallback``); the
    view behind it checks the product may be seen and streams or redirects to the file."""
    return reverse(
        "studio:product_image_file",
        kwargs={"image_id": image.pk, "key": image.key, "variant": variant},
    )


class SearchEntry(models.Model):
    """A product as catalogue search sees it: everything a query filters, sorts and counts on,
    in one table, so a search never joins. Rows are written by database triggers on products
    and base prices (migration 0003), so every writer keeps them in step, even a bulk or
    queryset update; ``search_vector`` by ``refresh_search_vectors``. Sellers' and modules'
    visibility stay query-time conditions: they change for many products at once."""

    product = models.OneToOneField(
        Product, primary_key=True, on_delete=models.CASCADE, related_name="search_entry"
    )
    is_published = models.BooleanField(default=False)
    product_type = models.CharField(max_length=10)
    seller_id = models.BigIntegerField()
    category_id = models.BigIntegerField(null=True)
    # Index terms of the filters: "c:<slug>" for the category and each ancestor, "t:<type>",
    # "s:<seller id>", "r:<n>" for each n up to the whole-star average. In one GIN index with
    # the text, so a filtered text query reads only the rows that pass every filter.
    facet_keys = ArrayField(models.CharField(max_length=90), default=list)
    # The modules' own filter terms (e.g. gigs' "d:3"), kept by the modules through
    # core.catalog.search.module_facets; the sync trigger merges them into facet_keys.
    module_keys = ArrayField(models.CharField(max_length=90), default=list)
    stars = models.PositiveSmallIntegerField(default=0)  # whole-star average, 0 = unrated
    rating_key = models.PositiveIntegerField(default=0)  # average x 1000, for sorting
    popularity = models.PositiveIntegerField(default=0)  # number of ratings
    published_at = models.DateTimeField(null=True)
    latitude_e6 = models.IntegerField(null=True)
    longitude_e6 = models.IntegerField(null=True)
    prices = models.JSONField(default=dict)  # base prices in minor units by currency
    # Name A, tags/seller/category B, summary/description C.
    search_vector = SearchVectorField(null=True)

    class Meta:
        indexes = [
            GinIndex(fields=["search_vector", "facet_keys"], name="search_entry_text_keys"),
            # Broad queries sorted by date or rating read the first rows off these indexes.
            models.Index(
                F("published_at").desc(),
                F("product").desc(),
                condition=Q(is_published=True),
                name="search_entry_newest",
            ),
            models.Index(
                F("rating_key").desc(),
                F("product").desc(),
                condition=Q(is_published=True),
                name="search_entry_rating",
            ),
            # Relevance ranks the most popular matches of a broad query (read off this index).
            models.Index(
                F("popularity").desc(),
                F("product").desc(),
                condition=Q(is_published=True),
                name="search_entry_popular",
            ),
        ]

    def __str__(self) -> str:
        return f"search entry of {self.product_id}"
