"""The module registry and its system checks."""

from __future__ import annotations

import pytest
from celery import shared_task
from django.core.management import call_command
from django_tenants.utils import schema_context

from core.registry import (
    ModuleManifest,
    ModuleRegistry,
    ProductTypeSpec,
    UnknownModule,
    get_registry,
)
from core.registry.checks import check_registry
from core.schema import current_schema_name
from tenants.tasks import fan_out
from tests.testmodules.alpha.models import FulfilmentRecord


def manifest(key: str, *depends_on: str, **extra) -> ModuleManifest:
    return ModuleManifest(key=key, name=key.title(), depends_on=depends_on, **extra)


def check_ids(*manifests: ModuleManifest) -> list[tuple[str | None, str]]:
    return [(error.id, error.msg) for error in check_registry(ModuleRegistry(manifests))]


def test_installed_modules_pass_the_checks():
    assert check_registry(get_registry()) == []
    call_command("check", tags=["souk"])  # raises SystemCheckError on any error


def test_a_healthy_graph_has_no_errors():
    assert check_ids(manifest("a"), manifest("b", "a"), manifest("c", "a", "b")) == []


def test_duplicate_keys_are_reported():
    errors = check_ids(manifest("shop"), manifest("shop"))
    assert [error_id for error_id, _ in errors] == ["souk.E001"]
    assert "'shop' is declared 2 times" in errors[0][1]


def test_unknown_dependencies_are_reported():
    errors = check_ids(manifest("courses", "videos"))
    assert errors == [("souk.E002", "Module 'courses' depends on unknown module 'videos'.")]


def test_cycles_are_reported_once_with_their_path():
    errors = check_ids(manifest("a", "c"), manifest("b", "a"), manifest("c", "b"))
    assert [error_id for error_id, _ in errors] == ["souk.E003"]
    assert "a -> c -> b -> a" in errors[0][1]


def test_self_dependency_is_a_cycle():
    assert [e for e, _ in check_ids(manifest("a", "a"))] == ["souk.E003"]


def test_two_modules_mounted_at_the_same_path_are_reported():
    errors = check_ids(manifest("a", api_path="shared/"), manifest("b", api_path="shared/"))
    assert [error_id for error_id, _ in errors] == ["souk.E004"]


def spec(key: str, **changes) -> ProductTypeSpec:
    fields = {"label": key.title(), "is_escrow_by_default": False, "delivers": "download"}
    return ProductTypeSpec(key=key, **{**fields, **changes})


def test_bad_product_types_are_reported():
    errors = check_ids(
        manifest("shop", product_types=(spec("Bad-Key"), spec("much_too_long"), spec("ok"))),
        manifest("gifts", product_types=(spec("gift", delivers="hug"), "plain")),
    )
    assert errors == [
        ("souk.E005", "Module 'shop': product type 'Bad-Key' is not a valid key."),
        ("souk.E005", "Module 'shop': product type 'much_too_long' is not a valid key."),
        (
            "souk.E005",
            "Module 'gifts': product type 'gift' delivers 'hug', which is not a delivery.",
        ),
        ("souk.E005", "Module 'gifts' declares product type 'plain', not a ProductTypeSpec."),
    ]


def test_a_product_type_declared_twice_or_differently_is_reported():
    errors = check_ids(
        manifest("shop", product_types=(spec("ebook"), spec("ebook"))),
        manifest("books", product_types=(spec("ebook", is_escrow_by_default=True),)),
    )
    assert errors == [
        ("souk.E006", "Module 'shop' declares product type 'ebook' twice."),
        ("souk.E006", "Modules 'shop' and 'books' both declare product type 'ebook', differently."),
    ]


def test_alternative_engines_may_declare_the_same_product_type_spec():
    # As alpha and licensing do with "software": a marketplace runs one of them.
    registry = ModuleRegistry(
        [
            manifest("one", product_types=(spec("ebook"),)),
            manifest("two", product_types=(spec("ebook"),)),
        ]
    )
    assert check_registry(registry) == []
    assert registry.for_product_type("ebook", enabled={"two"}).key == "two"


def test_product_types_come_from_the_installed_manifests():
    registry = get_registry()
    assert {
        key: (s.label, s.is_escrow_by_default, s.delivers)
        for key, s in registry.product_types().items()
    } == {
        "software": ("Software licences", False, "licence"),
        "service": ("Services (consulting, gigs)", True, "booking"),
        "widget": ("Widgets", True, "order"),
        "gig": ("Gigs (services)", True, "order"),
        "consult": ("Consultations", True, "booking"),
        "digital": ("Digital goods", False, "download"),
        "course": ("Online courses", False, "enrolment"),
        "coursepass": ("Course memberships", False, "enrolment"),
    }
    assert registry.escrowed_by_default() == {"consult", "gig", "service", "widget"}
    assert registry.located_product_types() == {"service"}
    assert registry.product_type_label("ebook") == "ebook"  # no module declares it here


def test_dependency_closure_lists_dependencies_first():
    registry = ModuleRegistry([manifest("a"), manifest("b", "a"), manifest("c", "b")])
    assert registry.dependency_closure("c") == ["a", "b"]
    assert registry.dependents("a") == ["b"]


def test_unknown_module_lookup_raises():
    with pytest.raises(UnknownModule):
        get_registry().get("nope")


def test_fulfilment_hooks_are_found_by_product_type_and_run_in_the_tenant_schema(tenant_a):
    class Line:
        pk = 42

    fulfil = get_registry().fulfil_hook("software")
    revoke = get_registry().revoke_hook("software")
    assert fulfil is not None and revoke is not None
    with schema_context(tenant_a.schema_name):
        fulfil(Line())
        revoke(Line())
        assert list(FulfilmentRecord.objects.values_list("line_id", "action")) == [
            ("42", "fulfil"),
            ("42", "revoke"),
        ]


def test_a_module_without_hooks_has_empty_slots():
    assert get_registry().fulfil_hook("service") is None
    with pytest.raises(UnknownModule):
        get_registry().fulfil_hook("no-such-type")


def test_module_timers_are_fanned_out_by_the_beat_to_tenants_running_the_module():
    from core.celery import app

    app.loader.import_default_modules()
    app.finalize()
    entry = app.conf.beat_schedule["licensing: modules.licensing.tasks.expire_licenses"]
    assert entry["task"] == "tenants.tasks.fan_out"
    assert list(entry["args"]) == ["modules.licensing.tasks.expire_licenses", "licensing"]
    assert "modules.licensing.tasks_validation.reap_dead_machines" in app.tasks


_timer_runs: list[str] = []


@shared_task(name="tests.test_registry.record_schema")
def _record_schema() -> None:
    _timer_runs.append(current_schema_name())


def test_a_module_timer_runs_only_where_the_module_is_on(make_tenant):
    with_module = make_tenant("timer-on", modules=["beta"]).tenant
    without = make_tenant("timer-off", modules=["alpha"]).tenant
    _timer_runs.clear()

    queued = fan_out("tests.test_registry.record_schema", "beta")
    on_every_tenant = fan_out("tests.test_registry.record_schema")

    assert with_module.schema_name in _timer_runs[:queued]
    assert without.schema_name not in _timer_runs[:queued]
    assert without.schema_name in _timer_runs[queued:]
    assert queued < on_every_tenant
