"""The operator's modules page: every module on or off within the plan (a module turned off
loses its pages and nav entries at once) and each module's settings edited through a form
generated from its pydantic settings model, nothing saved on error."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

import pytest
from django import forms
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tenants.backoffice.setup.settings_form import ModuleSettingsForm
from tenants.models import Plan, TenantModule
from tenants.services import set_module_enabled
from tests.accounts_helpers import signed_in_operator


def config_of(tenant, key):
    row = TenantModule.objects.filter(tenant=tenant, key=key).first()
    return (row.is_enabled, row.config) if row else None


def test_every_installed_module_is_listed_with_its_state(client_for, tenant_b):
    client, _ = signed_in_operator(client_for, tenant_b)
    page = client.get("/operator/modules/").content.decode()
    for key in ("alpha", "beta", "licensing"):
        assert f'id="module-{key}"' in page
    assert "Turn Alpha goods off" in page
    assert "Turn Beta services off" in page
    assert "Turn Software licences on" in page
    assert "Needs: Alpha goods" in page
    assert "Sells: Services (consulting, gigs), Widgets" in page
    assert "Alpha goods already sells the same kind of product here" in page


def test_turning_a_module_off_removes_its_pages_and_nav_entries(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    visitor = client_for(tenant_a)
    assert client.get("/operator/alpha/").status_code == 200
    assert "Alpha settings</a>" in client.get("/operator/modules/").content.decode()
    assert "Alpha goods</a>" in visitor.get("/").content.decode()

    response = client.post("/operator/modules/alpha/switch/", {"is_enabled": "off"})

    assert response.status_code == 302
    assert config_of(tenant_a, "alpha")[0] is False
    assert client.get("/operator/alpha/").status_code == 404
    assert visitor.get("/alpha/").status_code == 404
    assert "Alpha settings</a>" not in client.get("/operator/modules/").content.decode()
    assert "Alpha goods</a>" not in visitor.get("/").content.decode()

    client.post("/operator/modules/alpha/switch/", {"is_enabled": "on"})
    assert client.get("/operator/alpha/").status_code == 200


def test_a_module_others_need_stays_on_with_the_reason_shown(client_for, tenant_b):
    client, _ = signed_in_operator(client_for, tenant_b)
    response = client.post("/operator/modules/alpha/switch/", {"is_enabled": "off"})
    assert response.status_code == 400
    assert "Disable beta first; they need &#x27;alpha&#x27;." in response.content.decode()
    assert config_of(tenant_b, "alpha")[0] is True


def test_two_modules_selling_the_same_type_cannot_both_be_on(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    response = client.post("/operator/modules/licensing/switch/", {"is_enabled": "on"})
    assert response.status_code == 400
    assert "already sells software here" in response.content.decode()
    assert config_of(tenant_a, "licensing") is None


def test_a_module_outside_the_plan_cannot_be_turned_on(client_for, tenant_a):
    tenant_a.plan = Plan.objects.create(slug="starter", name="Starter", allowed_modules=["alpha"])
    tenant_a.save(update_fields=["plan"])
    client, _ = signed_in_operator(client_for, tenant_a)
    page = client.get("/operator/modules/").content.decode()
    assert "Not in your plan (Starter)" in page
    assert "Turn Beta services on" not in page

    response = client.post("/operator/modules/beta/switch/", {"is_enabled": "on"})
    assert response.status_code == 400
    assert "The Starter plan does not include the &#x27;beta&#x27; module." in (
        response.content.decode()
    )
    assert config_of(tenant_a, "beta") is None


def test_switching_needs_on_or_off_and_a_known_module(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    assert (
        client.post("/operator/modules/alpha/switch/", {"is_enabled": "maybe"}).status_code == 400
    )
    assert config_of(tenant_a, "alpha")[0] is True
    assert client.post("/operator/modules/gamma/switch/", {"is_enabled": "on"}).status_code == 404


# --- settings forms from the pydantic models ---------------------------------------------------


def test_the_settings_form_follows_the_model_and_saves_valid_values(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    page = client.get("/operator/modules/").content.decode()
    assert 'name="alpha-greeting" value="hello" maxlength="40"' in page
    assert 'type="number" name="alpha-max_items" value="10" min="1" max="1000"' in page

    response = client.post(
        "/operator/modules/alpha/settings/", {"alpha-greeting": "salaam", "alpha-max_items": "25"}
    )
    assert response.status_code == 302
    assert config_of(tenant_a, "alpha") == (True, {"greeting": "salaam", "max_items": 25})
    assert client_for(tenant_a).get("/api/v1/alpha/greeting").json() == {"greeting": "salaam"}


@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({"alpha-greeting": "x" * 41, "alpha-max_items": "5"}, "greeting", "at most 40"),
        (
            {"alpha-greeting": "hi", "alpha-max_items": "0"},
            "max_items",
            "greater than or equal to 1",
        ),
        ({"alpha-greeting": "hi", "alpha-max_items": "1001"}, "max_items", "less than or equal"),
        ({"alpha-greeting": "hi", "alpha-max_items": "many"}, "max_items", "whole number"),
        ({"alpha-greeting": "hi"}, "max_items", "required"),
    ],
)
def test_bad_settings_answer_their_field_and_save_nothing(
    client_for, tenant_a, posted, field, message
):
    set_module_enabled(tenant=tenant_a, key="alpha", is_enabled=True, config={"greeting": "hej"})
    client, _ = signed_in_operator(client_for, tenant_a)
    response = client.post("/operator/modules/alpha/settings/", posted)
    assert response.status_code == 400
    (row,) = [r for r in response.context["rows"] if r.manifest.key == "alpha"]
    assert message in row.settings_form.errors[field][0]
    assert config_of(tenant_a, "alpha") == (True, {"greeting": "hej", "max_items": 10})


def test_a_module_that_is_off_has_no_settings_to_save(client_for, tenant_b):
    set_module_enabled(tenant=tenant_b, key="beta", is_enabled=False)
    set_module_enabled(tenant=tenant_b, key="alpha", is_enabled=False)
    client, _ = signed_in_operator(client_for, tenant_b)
    response = client.post(
        "/operator/modules/alpha/settings/", {"alpha-greeting": "x", "alpha-max_items": "2"}
    )
    assert response.status_code == 404
    assert config_of(tenant_b, "alpha")[1] == {"greeting": "hello", "max_items": 10}


def test_settings_are_per_marketplace(client_for, tenant_a, tenant_b):
    client, _ = signed_in_operator(client_for, tenant_a)
    client.post(
        "/operator/modules/alpha/settings/", {"alpha-greeting": "marhaba", "alpha-max_items": "3"}
    )
    assert config_of(tenant_b, "alpha")[1] == {"greeting": "hello", "max_items": 10}
    other, _ = signed_in_operator(client_for, tenant_b)
    assert 'value="hello"' in other.get("/operator/modules/").content.decode()


class Tier(StrEnum):
    FREE = "free"
    PAID = "paid"


class Everything(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field("x", min_length=1, max_length=5, pattern=r"^[a-z]+$")
    count: int = Field(3, gt=0, lt=10)
    ratio: float = Field(0.5, ge=0, le=1)
    mode: Literal["fast", "safe"] = "safe"
    level: Literal[1, 2, 3] = 2
    tier: Tier = Tier.FREE
    is_public: bool = False
    limit: int | None = None
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def paid_needs_a_limit(self) -> Everything:
        if self.tier == Tier.PAID and self.limit is None:
            raise ValueError("a paid tier needs a limit")
        return self


def test_every_kind_of_field_maps_to_its_form_field():
    form = ModuleSettingsForm(Everything)
    kinds = {name: type(field).__name__ for name, field in form.fields.items()}
    assert kinds == {
        "label": "CharField",
        "count": "IntegerField",
        "ratio": "FloatField",
        "mode": "TypedChoiceField",
        "level": "TypedChoiceField",
        "tier": "TypedChoiceField",
        "is_public": "BooleanField",
        "limit": "IntegerField",
        "tags": "JSONField",
    }
    count = form.fields["count"]
    assert isinstance(count, forms.IntegerField)
    assert (count.min_value, count.max_value) == (1, 9)
    assert form.fields["limit"].required is False
    assert form.fields["tier"].choices == [("free", "free"), ("paid", "paid")]
    assert form.fields["level"].initial == 2


def test_valid_input_is_typed_by_the_model():
    data = {
        "label": "abc", "count": "9", "ratio": "0.25", "mode": "fast", "level": "3",
        "tier": "paid", "is_public": "on", "limit": "7", "tags": '["a"]',
    }  # fmt: skip
    form = ModuleSettingsForm(Everything, data=data)
    assert form.is_valid(), form.errors
    assert form.validated == {
        "label": "abc", "count": 9, "ratio": 0.25, "mode": "fast", "level": 3,
        "tier": "paid", "is_public": True, "limit": 7, "tags": ["a"],
    }  # fmt: skip


def test_each_constraint_is_reported_on_its_field():
    data = {
        "label": "ABC!", "count": "10", "ratio": "2", "mode": "reckless", "level": "4",
        "tier": "gold", "limit": "", "tags": "[]",
    }  # fmt: skip
    form = ModuleSettingsForm(Everything, data=data)
    assert not form.is_valid()
    assert set(form.errors) == {"label", "count", "ratio", "mode", "level", "tier"}
    assert form.validated == {}


def test_rules_across_fields_come_from_the_model_itself():
    data = {"label": "a", "count": "1", "ratio": "0", "mode": "safe", "level": "1", "tier": "paid"}
    form = ModuleSettingsForm(Everything, data={**data, "tags": "[]"})
    assert not form.is_valid()
    assert form.non_field_errors() == ["Value error, a paid tier needs a limit"]
