"""What the module offers; the registry reads ``manifest`` (see core/registry)."""

from pydantic import BaseModel, ConfigDict, Field

from core.registry import ModuleManifest, NavEntry, ProductTypeSpec
from core.registry.notification_types import NotificationTypeSpec

DIGITAL = "digital"


class DigitalSettings(BaseModel):
    """The operator's limits on digital products, validated when an operator changes them;
    read them with ``manifest.settings_for(tenant)``."""

    model_config = ConfigDict(extra="forbid")

    # The largest file a seller may upload (one version).
    max_file_mb: int = Field(default=500, ge=1, le=20_000)
    # Download links live in proportion to the file's size, within these bounds.
    link_min_seconds: int = Field(default=60, ge=30, le=3600)
    link_max_seconds: int = Field(default=3600, ge=60, le=86_400)
    # Downloads per buyer per day across the marketplace's products (abuse guard).
    downloads_per_buyer_per_day: int = Field(default=100, ge=1, le=10_000)


manifest = ModuleManifest(
    key="digital",
    name="Digital goods",
    description="Files sold and delivered securely: stamped with the buyer, versioned, "
    "previewed and tracked.",
    product_types=(
        ProductTypeSpec(
            key=DIGITAL,
            label="Digital goods",
            is_escrow_by_default=False,
            delivers="download",
        ),
    ),
    settings_model=DigitalSettings,
    router="modules.digital.api.router",
    seller_router="modules.digital.api_seller.router",
    partner_router="modules.digital.api_partner.router",
    permissions=("manage_products",),
    seller_urls="modules.digital.seller_urls",
    fulfil="modules.digital.hooks.fulfil",
    revoke="modules.digital.hooks.revoke",
    storefront_urls="modules.digital.urls",
    purchase_summary="modules.digital.purchases.received_for_line",
    checkout_terms="modules.digital.purchases.checkout_terms",
    product_panel="modules.digital.storefront.panel",
    demo="modules.digital.demo.populate",
    notification_types=(
        NotificationTypeSpec("digital.version_published", "A new version of a file you bought"),
        NotificationTypeSpec("digital.copy_ready", "Your stamped copy is ready to download"),
        NotificationTypeSpec("digital.copy_unstamped", "A buyer's copy could not be stamped"),
    ),
    pages=(
        NavEntry(label="Downloads", url="digital:library", area="account"),
        NavEntry(label="Digital files", url="digital_studio:home", area="studio"),
    ),
)
