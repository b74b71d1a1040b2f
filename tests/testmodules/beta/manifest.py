from core.registry import ModuleManifest, NavEntry, ProductTypeSpec

manifest = ModuleManifest(
    key="beta",
    name="Beta services",
    description="A test module that depends on alpha. With nothing outside this folder it "
    "declares a product type (widget), a deadline (beta.follow_up, deadlines.py), a nav entry "
    "(its storefront page) and a webhook event (beta.pinged): tests/test_beta_module.py.",
    depends_on=("alpha",),
    product_types=(
        ProductTypeSpec(
            key="service",
            label="Services (consulting, gigs)",
            is_escrow_by_default=True,
            delivers="booking",
            has_location=True,
        ),
        # A type no core code knows: declared here only, it is sellable, bought and held in
        # escrow where beta is on (tests/test_module_product_types.py).
        ProductTypeSpec(
            key="widget",
            label="Widgets",
            is_escrow_by_default=True,
            delivers="order",
        ),
    ),
    router="tests.testmodules.beta.api.router",
    # Its one webhook event, declared here only: core/integrations registers and sends it.
    webhook_events={"beta.pinged": "Someone pinged one of your beta services."},
    storefront_urls="tests.testmodules.beta.urls",
    pages=(NavEntry(label="Widgets", url="beta-widgets", area="storefront"),),
)
