"""Buyers' reviews of what they bought: one per completed order line, a seller's reply, and
reports that feed the operators' moderation queue. Product and seller rating aggregates live
on ``catalog.Product`` and ``sellers.Seller`` and are kept by the review services."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.catalog.models import Product
from core.commerce.models import OrderLine
from core.sellers.models import Seller

MIN_RATING = 1
MAX_RATING = 5
# How long a buyer may change their review after writing it.
EDIT_WINDOW = timedelta(days=30)


class ReviewStatus(models.TextChoices):
    PUBLISHED = "published", "Published"
    HIDDEN = "hidden", "Hidden by the marketplace"
    # Automated moderation flagged it: not shown, not counted, until an operator decides.
    HELD = "held", "Waiting for the marketplace's review"


class Review(models.Model):
    """``product``, ``seller`` and ``buyer`` are copied from the line at creation, so lists
    by any of them are one indexed read."""

    order_line = models.OneToOneField(OrderLine, on_delete=models.PROTECT, related_name="review")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="reviews")
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="reviews")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    rating = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120, blank=True)
    body = models.TextField(max_length=5000, blank=True)
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PUBLISHED
    )
    hidden_reason = models.CharField(max_length=500, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=MIN_RATING, rating__lte=MAX_RATING),
                name="review_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[ReviewStatus.PUBLISHED, ReviewStatus.HELD], hidden_reason=""
                )
                | (Q(status=ReviewStatus.HIDDEN) & ~Q(hidden_reason="")),
                name="review_hidden_with_reason",
            ),
        ]
        indexes = [
            # The public list of a product, newest first, reads one index range.
            models.Index(
                F("product"),
                F("created_at").desc(),
                F("id").desc(),
                condition=Q(status=ReviewStatus.PUBLISHED),
                name="review_product_newest",
            ),
            models.Index(fields=["seller", "-id"], name="review_seller_recent"),
            models.Index(fields=["buyer", "-id"], name="review_buyer_recent"),
        ]

    def __str__(self) -> str:
        return f"review {self.pk}: {self.rating}/5 of {self.product_id}"

    @property
    def is_published(self) -> bool:
        return self.status == ReviewStatus.PUBLISHED

    @property
    def editable_until(self) -> datetime:
        return self.created_at + EDIT_WINDOW


class ReviewReply(models.Model):
    """The seller's public answer; one per review."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="reply")
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="review_replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="review_reply_not_empty")]

    def __str__(self) -> str:
        return f"reply to review {self.review_id}"


class ReportReason(models.TextChoices):
    SPAM = "spam", "Spam or advertising"
    ABUSIVE = "abusive", "Abusive or hateful"
    OFF_TOPIC = "off_topic", "Not about the product"
    PERSONAL_DATA = "personal_data", "Contains personal data"
    OTHER = "other", "Something else"


class ReportResolution(models.TextChoices):
    HIDDEN = "hidden", "The review was hidden"
    DISMISSED = "dismissed", "Dismissed"


class ReviewReport(models.Model):
    """A user's flag on a review; open reports (``resolved_at`` null) make the moderation
    queue."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_reports"
    )
    reason = models.CharField(max_length=16, choices=ReportReason.choices)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=10, choices=ReportResolution.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "reporter"], name="review_reported_once"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolution="")
                | (Q(resolved_at__isnull=False) & ~Q(resolution="")),
                name="review_report_resolution_set",
            ),
        ]
        indexes = [
            models.Index(
                fields=["review"], condition=Q(resolved_at__isnull=True), name="review_report_open"
            )
        ]

    def __str__(self) -> str:
        return f"report {self.pk} of review {self.review_id}"


class ModuleRating(models.Model):
    """A star rating a module contributes to a seller's rating (a gig's delivery feedback,
    say), counted in ``Seller.rating_count``/``rating_total`` once: ``(source, key)`` is unique,
    so counting it again changes nothing, and removing it takes exactly its stars away."""

    source = models.CharField(max_length=40)  # "gigs.feedback"
    key = models.CharField(max_length=80)  # the module's id of what was rated
    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="module_ratings")
    stars = models.PositiveSmallIntegerField()
    counted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="module_rating_once"),
            models.CheckConstraint(
                condition=Q(stars__gte=MIN_RATING, stars__lte=MAX_RATING),
                name="module_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.key}: {self.stars}/5 for seller {self.seller_id}"
