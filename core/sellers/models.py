"""Sellers of a marketplace: their profile and verification, their team, their API keys."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from core.registry.product_types import PRODUCT_TYPE_MAX_LENGTH
from core.schema import current_schema_name


class LegalForm(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    COMPANY = "company", "Company"


class VerificationStatus(models.TextChoices):
    DRAFT = "draft", "Onboarding"  # the wizard is not finished
    PENDING = "pending", "Waiting for review"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class SellerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"


class TeamPermission(models.TextChoices):
    MANAGE_PRODUCTS = "manage_products", "Manage products"
    PROCESS_ORDERS = "process_orders", "Process orders"
    VIEW_ANALYTICS = "view_analytics", "View analytics"
    MANAGE_CUSTOMERS = "manage_customers", "Manage customers"
    CONFIGURE_INTEGRATION = "configure_integration", "Configure integrations and API keys"


class Seller(models.Model):
    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="seller"
    )
    slug = models.SlugField(max_length=60, unique=True)
    business_name = models.CharField(max_length=120)
    legal_form = models.CharField(max_length=12, choices=LegalForm.choices)
    tax_id = models.CharField(max_length=40, blank=True)
    country = models.CharField(max_length=2, blank=True)
    verification_status = models.CharField(
        max_length=10, choices=VerificationStatus.choices, default=VerificationStatus.DRAFT
    )
    rejection_reason = models.CharField(max_length=500, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        max_length=10, choices=SellerStatus.choices, default=SellerStatus.ACTIVE
    )
    # Basis points (1250 = 12.5 %); null means the marketplace's default commission.
    commission_rate_bp = models.PositiveIntegerField(null=True, blank=True)
    payout_account_ref = models.CharField(max_length=120, blank=True)
    requested_product_types = models.JSONField(default=list, blank=True)
    # Product type keys (declared by modules' manifests) the operator allows: sorted, unique.
    product_type_grants = ArrayField(
        models.CharField(max_length=PRODUCT_TYPE_MAX_LENGTH), default=list, blank=True
    )
    # Public profile.
    bio = models.TextField(blank=True, max_length=4000)
    website = models.URLField(blank=True)
    portfolio = models.JSONField(default=list, blank=True)
    rating_count = models.PositiveIntegerField(default=0)
    rating_total = models.PositiveIntegerField(default=0)  # sum of 1-5 stars
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_rate_bp__isnull=True) | Q(commission_rate_bp__lte=10_000),
                name="seller_commission_at_most_100_percent",
            ),
            models.CheckConstraint(
                condition=Q(rating_total__lte=models.F("rating_count") * 5),
                name="seller_rating_total_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.business_name

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED

    @property
    def can_sell(self) -> frozenset[str]:
        """The granted types; a module must also be on for the marketplace to list them."""
        return frozenset(self.product_type_grants)

    @property
    def rating_average_tenths(self) -> int | None:
        """Average stars x 10 (43 = 4.3), exact integer arithmetic; None without ratings."""
        if not self.rating_count:
            return None
        return (self.rating_total * 10 + self.rating_count // 2) // self.rating_count


def verification_upload_path(instance: VerificationDocument, filename: str) -> str:
    # Tenant-prefixed, never the uploader's file name (kept separately for display).
    return f"{current_schema_name()}/seller-verification/{instance.seller_id}/{instance.key}"


class VerificationDocument(models.Model):
    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="documents")
    key = models.CharField(max_length=64)
    kind = models.CharField(max_length=40)
    file = models.FileField(upload_to=verification_upload_path, max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind}: {self.original_name}"


class TeamMember(models.Model):
    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seller_memberships"
    )
    permissions = models.JSONField(default=list)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["seller", "user"], name="one_membership_per_seller")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.seller_id}"


class TeamInvitation(models.Model):
    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    permissions = models.JSONField(default=list)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.seller_id}"


class SellerApiKey(models.Model):
    """``souk_sk_<prefix>_<secret>`` for a seller's own systems; only a hash is kept."""

    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Team permission codes the key may use: chosen at creation, at most its creator's.
    permissions = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"
