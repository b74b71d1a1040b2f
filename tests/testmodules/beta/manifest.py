from core.registry import ModuleManifest

manifest = ModuleManifest(
    key="beta",
    name="Beta services",
    description="A test module that depends on alpha.",
    depends_on=("alpha",),
    product_types=("service",),
    router="tests.testmodules.beta.api.router",
    # Its one webhook event, declared here only: core/integrations registers and sends it.
    webhook_events={"beta.pinged": "Someone pinged one of your beta services."},
)
