"""Gigs: a seller's service listing (packages, extras, requirements questions, FAQ) on a
catalogue product of type ``gig``, and the gig orders its paid lines become (deliveries,
revisions). Thin models; the money and state invariants that matter are also constraints.

An order snapshots everything it was bought with (package, extras, checklist, questions and
the marketplace's policy) so later edits by the seller or the operator never reach it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.catalog.models import Product
from core.commerce.models import CustomOffer, OrderLine
from core.schema import current_schema_name
from core.sellers.models import Seller

TIERS = ("basic", "standard", "premium")


class Tier(models.TextChoices):
    BASIC = "basic", "Basic"
    STANDARD = "standard", "Standard"
    PREMIUM = "premium", "Premium"


class GigPackage(models.Model):
    """One of up to three packages of a gig. ``revisions`` None means unlimited."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="gig_packages")
    tier = models.CharField(max_length=8, choices=Tier.choices)
    title = models.CharField(max_length=80)
    description = models.TextField(blank=True, max_length=2000)
    currency = models.CharField(max_length=3)
    price = models.BigIntegerField()
    delivery_days = models.PositiveSmallIntegerField()
    revisions = models.PositiveSmallIntegerField(null=True, blank=True)
    features = models.JSONField(default=list)
    # Acceptance criteria the seller ticks on delivery (frozen on each order).
    checklist = models.JSONField(default=list)

    class Meta:
        ordering = ["id"]  # created in tier order (basic, standard, premium)
        constraints = [
            models.UniqueConstraint(fields=["product", "tier"], name="gigs_one_package_per_tier"),
            models.CheckConstraint(condition=Q(price__gt=0), name="gigs_package_price_positive"),
            models.CheckConstraint(
                condition=Q(delivery_days__gte=1, delivery_days__lte=365),
                name="gigs_package_delivery_days",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}/{self.tier}"


class ExtraKind(models.TextChoices):
    FAST_DELIVERY = "fast_delivery", "Extra-fast delivery"
    EXTRA_REVISION = "extra_revision", "Extra revisions"
    CUSTOM = "custom", "Add-on"


class GigExtra(models.Model):
    """An option bought with a package. ``days``: for extra-fast delivery the days it saves,
    for an add-on the days it adds; ``revisions``: revisions an extra-revision extra adds."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="gig_extras")
    kind = models.CharField(max_length=16, choices=ExtraKind.choices)
    title = models.CharField(max_length=80)
    currency = models.CharField(max_length=3)
    price = models.BigIntegerField()
    days = models.PositiveSmallIntegerField(default=0)
    revisions = models.PositiveSmallIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="gigs_extra_price"),
        ]

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    TEXT = "text", "Text"
    CHOICE = "choice", "Choice"
    FILE = "file", "File"


class GigQuestion(models.Model):
    """A requirements question the buyer answers before the clock starts."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="gig_questions")
    kind = models.CharField(max_length=6, choices=QuestionKind.choices)
    prompt = models.CharField(max_length=300)
    choices = models.JSONField(default=list)
    is_required = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.prompt


class GigFaq(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="gig_faqs")
    question = models.CharField(max_length=300)
    answer = models.TextField(max_length=2000)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.question


class GigQuote(models.Model):
    """A buyer's choice of package and extras, priced as a commerce custom offer from the
    gig's seller (so checkout, escrow and refunds stay commerce's); read back at fulfilment."""

    offer = models.OneToOneField(CustomOffer, on_delete=models.CASCADE, related_name="gig_quote")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The package and extras as priced for the buyer (the offer's amount is their sum).
    package = models.JSONField()
    extras = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"quote {self.pk} ({self.product_id})"


class OrderStatus(models.TextChoices):
    AWAITING_REQUIREMENTS = "awaiting_requirements", "Waiting for your requirements"
    IN_PROGRESS = "in_progress", "In progress"
    DELIVERED = "delivered", "Delivered"
    # A delivery waits for the marketplace's quality check (the buyer does not see it yet).
    IN_REVIEW = "in_review", "In review"
    REVISION_REQUESTED = "revision_requested", "Revision requested"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (
    OrderStatus.AWAITING_REQUIREMENTS,
    OrderStatus.IN_PROGRESS,
    OrderStatus.DELIVERED,
    OrderStatus.IN_REVIEW,
    OrderStatus.REVISION_REQUESTED,
)


class GigOrder(models.Model):
    """A paid gig line. Everything it was bought with is frozen here: ``package`` and
    ``extras`` (as bought), ``checklist`` (acceptance criteria), ``questions`` and, once
    given, ``answers``, and ``policy`` (the marketplace's gig settings when it was placed).
    ``revisions_allowed`` None means unlimited. The clock (``due_at``) starts only when the
    requirements are submitted."""

    order_line = models.OneToOneField(OrderLine, on_delete=models.PROTECT, related_name="gig")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="gig_orders")
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="gig_orders")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gig_orders"
    )
    title = models.CharField(max_length=250)
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField()
    package = models.JSONField()
    extras = models.JSONField(default=list)
    checklist = models.JSONField(default=list)
    questions = models.JSONField(default=list)
    answers = models.JSONField(null=True, blank=True)
    policy = models.JSONField()
    delivery_days = models.PositiveSmallIntegerField()
    revisions_allowed = models.PositiveSmallIntegerField(null=True, blank=True)
    revisions_used = models.PositiveSmallIntegerField(default=0)
    # Reminders sent to submit the requirements; each reminder is its own deadline
    # (``requirements-reminder-<n>``), as a handler cannot re-schedule its own key.
    requirements_reminders = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=24, choices=OrderStatus.choices, default=OrderStatus.AWAITING_REQUIREMENTS
    )
    created_at = models.DateTimeField(auto_now_add=True)
    requirements_submitted_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    auto_accept_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=40, blank=True)
    is_auto_accepted = models.BooleanField(default=False)
    # Set when the buyer agreed the seller's milestone plan: the line's escrow is then
    # released milestone by milestone, each its agreed share.
    milestones_agreed_at = models.DateTimeField(null=True, blank=True)
    # A cancellation one party asked for, waiting for the other's answer (the frozen
    # policy's hours; no answer cancels, as agreed).
    cancellation_requested_by = models.CharField(max_length=6, blank=True)
    cancellation_requested_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["seller", "status", "due_at"], name="gigs_order_queue"),
            models.Index(fields=["buyer", "-id"], name="gigs_order_buyer"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(revisions_allowed__isnull=True)
                | Q(revisions_used__lte=F("revisions_allowed")),
                name="gigs_revisions_within_cap",
            ),
            models.CheckConstraint(
                condition=Q(status="awaiting_requirements")
                | Q(status="cancelled")
                | Q(requirements_submitted_at__isnull=False, due_at__isnull=False),
                name="gigs_clock_starts_with_requirements",
            ),
        ]

    def __str__(self) -> str:
        return f"gig order {self.pk}: {self.title}"


class MilestoneStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class GigMilestone(models.Model):
    """A part of a gig order with its agreed share (``percent``) of the line's escrow; the
    whole line is funded at checkout, so each milestone is funded before its work starts.
    ``amount`` (minor units of the seller's part) is fixed when the buyer agrees: the
    shares are allocated so they sum exactly to what escrow held."""

    order = models.ForeignKey(GigOrder, on_delete=models.CASCADE, related_name="milestones")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=2000, blank=True)
    percent = models.PositiveSmallIntegerField()
    days = models.PositiveSmallIntegerField()
    amount = models.BigIntegerField(default=0)
    status = models.CharField(
        max_length=12, choices=MilestoneStatus.choices, default=MilestoneStatus.PROPOSED
    )
    started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="gigs_milestone_number"),
            models.CheckConstraint(
                condition=Q(percent__gte=1, percent__lte=100), name="gigs_milestone_percent"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="gigs_milestone_amount"),
        ]

    def __str__(self) -> str:
        return f"milestone {self.number} of {self.order_id}"


class DeliveryKind(models.TextChoices):
    DRAFT = "draft", "Draft"
    FINAL = "final", "Final"
    REVISION = "revision", "Revision"


class DeliveryStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    # Delivered on an order under the operator's quality check: waiting for an operator.
    IN_REVIEW = "in_review", "In review"
    # Sent back to the seller by the operator's quality check (the buyer never saw it).
    RETURNED = "returned", "Returned"
    SUBMITTED = "submitted", "Submitted"


class GigDelivery(models.Model):
    """A submission: files and/or links, a description, notes, the checklist as ticked. A
    draft may be empty; it is delivered (``submitted``) only with a real artifact and every
    checklist item ticked. ``number`` counts the order's submitted deliveries."""

    order = models.ForeignKey(GigOrder, on_delete=models.CASCADE, related_name="deliveries")
    milestone = models.ForeignKey(
        GigMilestone, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    kind = models.CharField(max_length=8, choices=DeliveryKind.choices)
    status = models.CharField(
        max_length=9, choices=DeliveryStatus.choices, default=DeliveryStatus.DRAFT
    )
    number = models.PositiveSmallIntegerField(null=True, blank=True)
    description = models.TextField(max_length=5000, blank=True)
    notes = models.TextField(max_length=2000, blank=True)
    links = models.JSONField(default=list)
    # A preview the buyer can look at while the final files stay locked (e.g. watermarked).
    preview_url = models.URLField(max_length=2000, blank=True)
    checklist_ticked = models.JSONField(default=list)
    # The criteria the buyer confirmed on accepting it ([]: accepted automatically or not yet).
    checklist_confirmed = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The operator's quality check (orders in a QC category): who decided, when, and the
    # note sent back to the seller with a returned delivery. Approved = submitted with a
    # decision; returned = ``status`` returned.
    qc_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    qc_decided_at = models.DateTimeField(null=True, blank=True)
    qc_note = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["submitted_at"],
                condition=Q(status="in_review"),
                name="gigs_delivery_qc_queue",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "number"],
                condition=Q(number__isnull=False),
                name="gigs_delivery_number_once",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.number or 'draft'} of {self.order_id}"

    @property
    def qc_state(self) -> str:
        """The quality check: in_review, returned, approved or "" (none on this delivery)."""
        if self.status == DeliveryStatus.IN_REVIEW:
            return "in_review"
        if self.status == DeliveryStatus.RETURNED:
            return "returned"
        if self.status == DeliveryStatus.SUBMITTED and self.qc_decided_at is not None:
            return "approved"
        return ""


def delivery_file_path(instance: GigDeliveryFile, filename: str) -> str:
    # Tenant-prefixed and private; the uploader's name is kept separately for display.
    return f"{current_schema_name()}/gigs/deliveries/{instance.delivery_id}/{instance.key}"


def delivery_preview_path(instance: GigDeliveryFile, filename: str) -> str:
    return f"{current_schema_name()}/gigs/deliveries/{instance.delivery_id}/{instance.key}-preview"


class GigDeliveryFile(models.Model):
    delivery = models.ForeignKey(GigDelivery, on_delete=models.CASCADE, related_name="files")
    key = models.CharField(max_length=64)
    file = models.FileField(upload_to=delivery_file_path, max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    # The seller's choice: the buyer downloads it only once the order is accepted.
    is_locked_until_accepted = models.BooleanField(default=False)
    # For a locked file: a watermarked preview the buyer may open before accepting (an
    # image stamped with the marketplace's name, a PDF's stamped first page), or why there
    # is none (``preview_note``).
    preview = models.FileField(upload_to=delivery_preview_path, max_length=300, blank=True)
    preview_content_type = models.CharField(max_length=100, blank=True)
    preview_note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="gigs_file_not_empty"),
        ]

    def __str__(self) -> str:
        return self.original_name


class RevisionRequest(models.Model):
    """The buyer's revision request on a delivery: notes and a deadline for the seller."""

    order = models.ForeignKey(GigOrder, on_delete=models.CASCADE, related_name="revisions")
    delivery = models.ForeignKey(GigDelivery, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField()
    notes = models.TextField(max_length=4000)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Decided in a dispute (core.disputes): does not count against the order's cap.
    is_from_dispute = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="gigs_revision_number_once"),
        ]

    def __str__(self) -> str:
        return f"revision {self.number} of {self.order_id}"


class GigFeedback(models.Model):
    """Feedback on a completed order by its buyer (on the seller's work) or its seller (on
    working with the buyer), 1-5 per dimension. Double-blind: the other party (and the
    public) sees it only once both gave theirs or the window closed."""

    order = models.ForeignKey(GigOrder, on_delete=models.CASCADE, related_name="feedback")
    party = models.CharField(max_length=6)  # "buyer" or "seller": who wrote it
    quality = models.PositiveSmallIntegerField()
    communication = models.PositiveSmallIntegerField()
    timeliness = models.PositiveSmallIntegerField()
    comment = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "party"], name="gigs_feedback_once"),
            models.CheckConstraint(
                condition=Q(party__in=["buyer", "seller"]), name="gigs_feedback_party"
            ),
            models.CheckConstraint(
                condition=Q(
                    quality__gte=1,
                    quality__lte=5,
                    communication__gte=1,
                    communication__lte=5,
                    timeliness__gte=1,
                    timeliness__lte=5,
                ),
                name="gigs_feedback_scores",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party} feedback on {self.order_id}"


class GigAddon(models.Model):
    """Something bought for an existing order after it was placed (an extra revision once
    the cap is reached): a commerce custom offer like a quote; its paid line is held in
    escrow with the order's and follows it (released on acceptance, refunded on cancel)."""

    offer = models.OneToOneField(CustomOffer, on_delete=models.CASCADE, related_name="gig_addon")
    order = models.ForeignKey(GigOrder, on_delete=models.CASCADE, related_name="addons")
    extra = models.JSONField()  # the extra as priced
    order_line = models.OneToOneField(
        OrderLine, null=True, blank=True, on_delete=models.PROTECT, related_name="gig_addon"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"addon {self.pk} of {self.order_id}"
