from pydantic import BaseModel, ConfigDict, Field

from core.registry import ModuleManifest, NavEntry, ProductTypeSpec


class AlphaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    greeting: str = Field("hello", max_length=40)
    max_items: int = Field(10, ge=1, le=1000)


manifest = ModuleManifest(
    key="alpha",
    name="Alpha goods",
    description="A test module with a model, an API, pages and fulfilment hooks.",
    # The same spec as the licensing module's: alpha is an alternative engine for software
    # (a marketplace runs one of the two), which is how tests run without licensing.
    product_types=(
        ProductTypeSpec(
            key="software",
            label="Software licences",
            is_escrow_by_default=False,
            delivers="licence",
        ),
    ),
    router="tests.testmodules.alpha.api.router",
    settings_model=AlphaSettings,
    # Its seller router and studio page are mounted behind this; a teammate without it sees
    # neither (tests/test_module_pages.py).
    permissions=("manage_products",),
    seller_router="tests.testmodules.alpha.api.seller_router",
    seller_urls="tests.testmodules.alpha.seller_urls",
    operator_urls="tests.testmodules.alpha.operator_urls",
    pages=(
        NavEntry(label="Alpha goods", url="alpha-index", area="storefront"),
        NavEntry(label="Alpha items", url="alpha-mine", area="account"),
        NavEntry(label="Alpha stock", url="alpha_studio:stock", area="studio"),
        NavEntry(label="Alpha settings", url="alpha_operator:home", area="operator"),
    ),
    fulfil="tests.testmodules.alpha.hooks.fulfil",
    revoke="tests.testmodules.alpha.hooks.revoke",
    storefront_urls="tests.testmodules.alpha.urls",
    is_default_enabled=True,
)
