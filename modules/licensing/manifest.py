from pydantic import BaseModel, ConfigDict, Field

from core.registry import ModuleManifest, NavEntry, ProductTypeSpec


class LicensingSettings(BaseModel):
    """Per-marketplace tunables (validated when an operator changes them)."""

    model_config = ConfigDict(extra="forbid")

    # Validation calls per licence key and per client IP (GCRA, per minute).
    validations_per_key_per_minute: int = Field(120, ge=1, le=100_000)
    validations_per_ip_per_minute: int = Field(600, ge=1, le=1_000_000)
    # Activations (and deactivations) per licence per hour: stops activate/deactivate loops
    # that would let one licence serve unlimited machines.
    activations_per_license_per_hour: int = Field(20, ge=1, le=10_000)
    # How long an offline licence file is valid before the software must check in again.
    offline_file_days: int = Field(30, ge=1, le=3650)


manifest = ModuleManifest(
    key="licensing",
    name="Software licences",
    description="Licence keys, machine activations, validation and provisioning in the "
    "seller's own software.",
    product_types=(
        ProductTypeSpec(
            key="software",
            label="Software licences",
            is_escrow_by_default=False,
            delivers="licence",
        ),
    ),
    router="modules.licensing.api.router",
    partner_router="modules.licensing.api_partner.router",
    api_path="licenses/",
    page_path="licenses/",
    settings_model=LicensingSettings,
    # Its seller router (licence management) is mounted behind these; its product set-up
    # endpoints need manage_products like every product edit (api_licenses.py).
    permissions=("manage_customers",),
    seller_router="modules.licensing.api_seller.router",
    pages=(
        NavEntry(label="Software", url="/search/?type=software", area="storefront"),
        NavEntry(label="Licences", url="licensing:licenses", area="account"),
    ),
    fulfil="modules.licensing.hooks.fulfil",
    revoke="modules.licensing.hooks.revoke",
    purchase_summary="modules.licensing.purchases.received_for_line",
    studio_product_step="modules.licensing.studio_step.step",
    storefront_urls="modules.licensing.urls",
    details_accessor="license_details",
    is_default_enabled=True,
    timers=(
        ("modules.licensing.tasks.expire_licenses", 300.0),
        ("modules.licensing.tasks_validation.reap_dead_machines", 60.0),
        ("modules.licensing.tasks_provisioning.retry_overdue_provisioning", 60.0),
    ),
    # Sent to the licence's seller through core/integrations (orders, refunds and
    # subscriptions are core's events).
    webhook_events={
        "license.issued": "A licence for your product was issued.",
        "license.suspended": "A licence was suspended (a dispute, or by you or an operator).",
        "license.revoked": "A licence was revoked (a refund or a lost dispute).",
        "license.expired": "A licence reached its expiry (or its subscription ended).",
    },
)
