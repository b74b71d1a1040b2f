"""What the module offers; the registry reads ``manifest`` (see core/registry)."""

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.registry import ModuleManifest, NavEntry, ProductTypeSpec
from core.registry.notification_types import NotificationTypeSpec

SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}")


class GigsSettings(BaseModel):
    """The marketplace's gig policy, validated when an operator changes it. Each order
    stores the policy as it was when it was placed (``GigOrder.policy``): a change here is
    never retroactive."""

    model_config = ConfigDict(extra="forbid")

    # No answer to a delivery within this many days accepts it (reminders 48 h and 24 h before).
    auto_accept_days: int = Field(3, ge=1, le=30)
    # Reminders to submit the requirements, this often, until they are in...
    requirements_reminder_hours: int = Field(24, ge=1, le=168)
    # ...and the order is cancelled with a full refund after this many days without them.
    requirements_cancel_days: int = Field(7, ge=1, le=60)
    # Past the due date by this much an order is "very late": its buyer may cancel it.
    very_late_hours: int = Field(24, ge=1, le=720)
    # The seller's time to answer a revision request.
    revision_days: int = Field(3, ge=1, le=60)
    # The other party's time to answer a request to cancel; no answer cancels the order.
    cancellation_answer_hours: int = Field(48, ge=1, le=336)
    # Categories (by slug; a category covers its subcategories) whose deliveries an
    # operator checks before the buyer sees them: the auto-accept clock starts only once
    # an operator approved the delivery.
    qc_category_slugs: list[str] = Field(default_factory=list, max_length=50)
    # The largest file a seller may attach to a delivery, in megabytes.
    delivery_file_max_mb: int = Field(100, ge=1, le=500)

    @field_validator("qc_category_slugs")
    @classmethod
    def _slugs(cls, slugs: list[str]) -> list[str]:
        cleaned: list[str] = []
        for slug in slugs:
            slug = slug.strip().lower()
            if not SLUG.fullmatch(slug):
                raise ValueError(f"{slug!r} is not a category slug (a-z, 0-9 and dashes).")
            if slug not in cleaned:
                cleaned.append(slug)
        return cleaned


manifest = ModuleManifest(
    key="gigs",
    name="Gigs",
    description="Professional services sold as packages with extras: requirements before the "
    "clock starts, deliveries, capped revisions, acceptance paid out of escrow.",
    product_types=(
        ProductTypeSpec(
            key="gig",
            label="Gigs (services)",
            is_escrow_by_default=True,
            delivers="order",
            price_is_from=True,
        ),
    ),
    router="modules.gigs.api.router",
    partner_router="modules.gigs.api.partner.router",
    seller_router="modules.gigs.api.seller_router",
    settings_model=GigsSettings,
    # The seller side (gig set-up and the order queue) is order work and product work.
    permissions=("manage_products", "process_orders"),
    fulfil="modules.gigs.hooks.fulfil",
    revoke="modules.gigs.hooks.revoke",
    dispute_resolved="modules.gigs.hooks.dispute_resolved",
    studio_product_step="modules.gigs.studio_step.step",
    demo="modules.gigs.demo.populate_demo",
    storefront_urls="modules.gigs.urls",
    seller_urls="modules.gigs.seller_urls",
    seller_profile_panel="modules.gigs.stats.seller_profile_panel",
    product_panel="modules.gigs.storefront.product_panel",
    search_facets="modules.gigs.search.FACETS",
    operator_urls="modules.gigs.operator_urls",
    pages=(
        NavEntry(label="Gig orders", url="gigs:orders", area="account"),
        NavEntry(label="Gigs", url="gigs_studio:gigs", area="studio"),
        NavEntry(label="Gig orders", url="gigs_studio:queue", area="studio"),
        NavEntry(label="Gig orders", url="gigs_operator:orders", area="operator"),
        NavEntry(label="Gig QC", url="gigs_operator:qc", area="operator"),
    ),
    details_accessor=None,
    is_default_enabled=False,
    webhook_events={
        "gig.order_placed": "A gig of yours was bought (waiting for the buyer's requirements).",
        "gig.requirements_submitted": "A buyer submitted requirements: the clock started.",
        "gig.delivered": "You delivered a gig order (after the operator's check, if any).",
        "gig.delivery_in_review": "Your delivery waits for the marketplace's quality check.",
        "gig.delivery_returned": "The marketplace's quality check returned your delivery.",
        "gig.revision_requested": "A buyer asked for a revision.",
        "gig.very_late": "A gig order is 24 hours past due: its buyer may cancel it.",
        "gig.milestone_completed": "A milestone was accepted and its share paid out of escrow.",
        "gig.completed": "A gig order was accepted (or auto-accepted) and paid out of escrow.",
        "gig.cancellation_requested": "The buyer (or you) asked to cancel a gig order.",
        "gig.cancelled": "A gig order was cancelled and refunded.",
    },
    notification_types=(
        NotificationTypeSpec("gigs.order_placed", "A gig of yours was bought"),
        NotificationTypeSpec("gigs.requirements_needed", "Reminder: send your requirements"),
        NotificationTypeSpec("gigs.requirements_submitted", "A buyer sent requirements"),
        NotificationTypeSpec("gigs.delivered", "Your gig order was delivered"),
        NotificationTypeSpec("gigs.revision_requested", "A buyer asked for a revision"),
        NotificationTypeSpec("gigs.delivery_returned", "The quality check returned a delivery"),
        NotificationTypeSpec("gigs.very_late", "An order is very late: you may cancel it"),
        NotificationTypeSpec("gigs.auto_accept_soon", "A delivery will be accepted soon"),
        NotificationTypeSpec("gigs.milestone_completed", "A milestone was accepted and paid"),
        NotificationTypeSpec("gigs.cancellation_requested", "Asked to cancel an order"),
        NotificationTypeSpec("gigs.completed", "A gig order was completed", is_critical=True),
        NotificationTypeSpec("gigs.cancelled", "A gig order was cancelled", is_critical=True),
    ),
)
