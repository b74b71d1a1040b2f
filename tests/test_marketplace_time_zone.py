"""A marketplace's clock: operators choose its IANA time zone on the branding page (checked
against the zone database, any case accepted, a bad name refused on the field); staff may
set it when they open a marketplace; backups carry it; each marketplace keeps its own; jobs
on a bare schema read the same zone as requests."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import schema_context

from core.accounts.models import Role
from tenants.models import Tenant
from tenants.services.fleet_ops.common import public_rows
from tenants.services.locale import current_zone, time_zone_names
from tests.accounts_helpers import make_user, sign_in, signed_in_operator


def zone_of_row(tenant: Tenant) -> str:
    return str(Tenant.objects.get(pk=tenant.pk).time_zone)


def test_a_new_marketplace_runs_on_utc_and_offers_cities_not_aliases(tenant_a):
    assert zone_of_row(tenant_a) == "UTC"
    names = time_zone_names()
    assert names[0] == "UTC" and "Europe/Berlin" in names and "Asia/Kolkata" in names
    assert not [name for name in names if name.startswith(("US/", "Etc/"))]


def test_the_operator_sets_the_zone_and_only_their_marketplace_changes(
    client_for, tenant_a, tenant_b
):
    client, _ = signed_in_operator(client_for, tenant_a)
    page = client.get("/operator/branding/").content.decode()
    assert 'id="time-zone"' in page and '<option value="Europe/Berlin">Berlin (UTC+' in page
    response = client.post("/operator/branding/time-zone/", {"time_zone": "Europe/Berlin"})
    assert response.status_code == 302 and response["Location"].endswith("#time-zone")
    assert zone_of_row(tenant_a) == "Europe/Berlin"
    assert zone_of_row(tenant_b) == "UTC"
    shown = client.get("/operator/branding/").content.decode()
    assert "days on the marketplace follow Europe/Berlin" in shown
    assert '<option value="Europe/Berlin" selected>' in shown
    with schema_context(tenant_a.schema_name):  # a job on the bare schema reads the row
        assert current_zone() == ZoneInfo("Europe/Berlin")
    with schema_context(tenant_b.schema_name):
        assert current_zone() == ZoneInfo("UTC")
    assert public_rows(Tenant.objects.get(pk=tenant_a.pk))["tenant"]["time_zone"] == (
        "Europe/Berlin"
    )


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "", "Europe/Berlin; DROP TABLE", "x" * 80])
def test_a_name_that_is_not_a_zone_is_refused_on_the_field(client_for, tenant_a, bad):
    client, _ = signed_in_operator(client_for, tenant_a)
    response = client.post("/operator/branding/time-zone/", {"time_zone": bad})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="field has-error"' in body and "Time zone" in body
    assert zone_of_row(tenant_a) == "UTC"


@pytest.mark.parametrize("role", [Role.BUYER, Role.SELLER])
def test_buyers_and_sellers_cannot_change_it(client_for, tenant_a, role):
    make_user(tenant_a, f"{role}@example.com", role=role)
    client = client_for(tenant_a)
    sign_in(client, f"{role}@example.com")
    response = client.post("/operator/branding/time-zone/", {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 403
    assert zone_of_row(tenant_a) == "UTC"


def test_staff_open_a_marketplace_on_a_zone_in_any_case_and_a_bad_one_is_a_field_error(
    staff_client,
):
    def create(slug: str, zone: str):
        return staff_client.post(
            "/api/platform/v1/tenants",
            json.dumps(
                {"slug": slug, "name": slug.title(), "owner_email": f"o@{slug}.example"}
                | {"time_zone": zone}
            ),
            content_type="application/json",
        )

    created = create("tokyo-shop", "asia/TOKYO")
    assert created.status_code == 201, created.content
    assert created.json()["tenant"]["time_zone"] == "Asia/Tokyo"
    refused = create("nowhere-shop", "Nowhere/Town")
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invalid_time_zone" and error["details"]["field"] == "time_zone"
    assert not Tenant.objects.filter(slug="nowhere-shop").exists()
