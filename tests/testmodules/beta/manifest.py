from core.registry import ModuleManifest

manifest = ModuleManifest(
    key="beta",
    name="Beta services",
    description="A test module that depends on alpha.",
    depends_on=("alpha",),
    product_types=("service",),
    router="tests.testmodules.beta.api.router",
)
