"""What the module offers; the registry reads ``manifest`` (see core/registry)."""

from pydantic import BaseModel, ConfigDict, Field

from core.registry import ModuleManifest, NavEntry, ProductTypeSpec
from core.registry.notification_types import NotificationTypeSpec

CONSULT = "consult"


class ConsultingSettings(BaseModel):
    """The operator's bounds on consultants' policies, validated when an operator changes
    them; read them with ``manifest.settings_for(tenant)``. A booking stores the policy in
    force when its slot was held, so a change here is never retroactive."""

    model_config = ConfigDict(extra="forbid")

    # How long a slot is held for a buyer to reach the checkout; once the order is placed
    # the hold lives as long as the unpaid order does.
    hold_minutes: int = Field(default=15, ge=5, le=120)
    # After a session ends the buyer has this long to dispute before escrow is released.
    dispute_window_hours: int = Field(default=48, ge=1, le=720)
    # The most notice a consultant may demand for any refund tier or cut-off.
    max_policy_hours: int = Field(default=168, ge=1, le=720)
    # The least a buyer cancelling at the very last moment gets back (percent).
    min_late_refund_percent: int = Field(default=0, ge=0, le=100)
    # The join page opens this long before the start; video tokens last until the end plus
    # the grace.
    join_early_minutes: int = Field(default=10, ge=0, le=60)
    video_grace_minutes: int = Field(default=30, ge=0, le=240)
    # No-shows are reported from this long after the start until the dispute window ends.
    no_show_after_minutes: int = Field(default=10, ge=0, le=120)
    # Documents shared in a booking.
    max_file_mb: int = Field(default=25, ge=1, le=500)


manifest = ModuleManifest(
    key="consulting",
    name="Consulting",
    description="Consultants publish their availability; buyers book and pay for sessions "
    "in their own time zone, with cancellation policies that are enforced.",
    product_types=(
        ProductTypeSpec(
            key=CONSULT,
            label="Consultations",
            is_escrow_by_default=True,
            delivers="booking",
        ),
    ),
    router="modules.consulting.api.router",
    seller_router="modules.consulting.api.seller_router",
    settings_model=ConsultingSettings,
    # A teammate needs every one of these for the seller router and the studio pages.
    permissions=("manage_products",),
    fulfil="modules.consulting.hooks.fulfil",
    revoke="modules.consulting.hooks.revoke",
    storefront_urls="modules.consulting.urls",
    seller_urls="modules.consulting.seller_urls",
    operator_urls="modules.consulting.operator_urls",
    product_panel="modules.consulting.storefront.panel",
    demo="modules.consulting.demo.populate",
    pages=(
        NavEntry(label="Consultations", url="consulting:mine", area="account"),
        NavEntry(label="Consultations", url="consulting_studio:home", area="studio"),
        NavEntry(label="Availability", url="consulting_studio:availability", area="studio"),
        NavEntry(label="Session types", url="consulting_studio:session_types", area="studio"),
        NavEntry(label="Consultations", url="consulting_operator:home", area="operator"),
    ),
    webhook_events={
        "consulting.booked": "A buyer booked (and paid for) a session with you.",
        "consulting.rescheduled": "A booked session was moved to another time.",
        "consulting.cancelled": "A booked session was cancelled.",
    },
    notification_types=(
        NotificationTypeSpec("consulting.booked", "A session was booked (with its invite)"),
        NotificationTypeSpec("consulting.rescheduled", "A session moved (with its new invite)"),
        NotificationTypeSpec(
            "consulting.cancelled", "A session was cancelled (with the invite's cancellation)"
        ),
        NotificationTypeSpec("consulting.reminder", "Reminders before a session"),
        NotificationTypeSpec("consulting.no_show", "A no-show was reported on a session"),
        NotificationTypeSpec("consulting.shared", "Notes, files or follow-ups were shared"),
        NotificationTypeSpec("consulting.rebook_offer", "An offer to book again"),
    ),
)
