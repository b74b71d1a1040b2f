"""A marketplace's page in the platform console: modules as a list of known modules with
forms generated from their settings models (field errors, nothing saved on error), "Enter as
support" opening exactly one audited session, plan prices as money."""

from __future__ import annotations

from urllib.parse import urlparse

from django.test import Client

from core.accounts.models import User
from tenants.models import Plan, SupportSession, Tenant, TenantModule
from tests.test_console_fleet import staff_client_with

MODULE_PERMISSIONS = ("view_tenant", "change_tenant", "change_tenantmodule")


def module_url(tenant: Tenant, key: str) -> str:
    return f"/console/fleet/{tenant.slug}/modules/{key}/"


def stored(tenant: Tenant, key: str) -> tuple[bool, dict]:
    row = TenantModule.objects.get(tenant=tenant, key=key)
    return row.is_enabled, row.config


def test_the_tenant_page_lists_every_known_module_with_its_state(staff_client, tenant_b):
    page = staff_client.get(f"/console/fleet/{tenant_b.slug}/")
    assert page.status_code == 200
    rows = {row["manifest"].key: row["is_enabled"] for row in page.context["modules"]}
    assert rows == {
        "alpha": True,
        "beta": True,
        "licensing": False,
        "gigs": False,
        "consulting": False,
        "digital": False,
        "courses": False,
    }
    assert module_url(tenant_b, "alpha").encode() in page.content
    assert b"owner@beta-bazaar.example" in page.content


def test_the_module_form_is_generated_from_the_settings_model(staff_client, tenant_a):
    page = staff_client.get(module_url(tenant_a, "alpha"))
    assert page.status_code == 200
    form = page.context["form"]
    assert [field.name for field in form.setting_fields] == ["greeting", "max_items"]
    assert (form["greeting"].value(), form["max_items"].value()) == ("hello", 10)
    assert b'name="max_items"' in page.content and b'min="1"' in page.content
    assert b'max="1000"' in page.content and b'maxlength="40"' in page.content


def test_bad_module_settings_answer_field_errors_and_save_nothing(staff_client, tenant_a):
    before = stored(tenant_a, "alpha")
    refused = staff_client.post(
        module_url(tenant_a, "alpha"),
        {"is_enabled": "on", "greeting": "x" * 41, "max_items": "0"},
    )
    assert refused.status_code == 400
    errors = refused.context["form"].errors
    assert set(errors) == {"greeting", "max_items"}
    assert "Ensure this value is greater than or equal to 1." in errors["max_items"]
    assert b"Nothing was saved" in refused.content
    assert stored(tenant_a, "alpha") == before

    not_a_number = staff_client.post(
        module_url(tenant_a, "alpha"), {"is_enabled": "on", "greeting": "hi", "max_items": "ten"}
    )
    assert not_a_number.status_code == 400
    assert set(not_a_number.context["form"].errors) == {"max_items"}
    assert stored(tenant_a, "alpha") == before


def test_good_module_settings_are_saved_through_the_service(staff_client, tenant_a):
    revision = tenant_a.modules_revision
    saved = staff_client.post(
        module_url(tenant_a, "alpha"), {"is_enabled": "on", "greeting": "ahoy", "max_items": "25"}
    )
    assert saved.status_code == 302
    assert saved["Location"] == f"/console/fleet/{tenant_a.slug}/"
    assert stored(tenant_a, "alpha") == (True, {"greeting": "ahoy", "max_items": 25})
    tenant_a.refresh_from_db()
    assert tenant_a.modules_revision == revision + 1


def test_a_refusal_of_the_service_is_shown_and_changes_nothing(staff_client, tenant_b):
    """Beta depends on alpha: alpha cannot be turned off while beta is on."""
    refused = staff_client.post(
        module_url(tenant_b, "alpha"), {"greeting": "hello", "max_items": "10"}
    )
    assert refused.status_code == 400
    assert "Disable beta first" in str(refused.context["form"].non_field_errors())
    assert stored(tenant_b, "alpha") == (True, {"greeting": "hello", "max_items": 10})


def test_a_module_without_settings_is_turned_on_and_off(staff_client, tenant_a):
    assert not TenantModule.objects.filter(tenant=tenant_a, key="beta", is_enabled=True).exists()
    page = staff_client.get(module_url(tenant_a, "beta"))
    assert page.context["form"].setting_fields == []
    assert staff_client.post(module_url(tenant_a, "beta"), {"is_enabled": "on"}).status_code == 302
    assert stored(tenant_a, "beta") == (True, {})
    assert staff_client.post(module_url(tenant_a, "beta"), {}).status_code == 302
    assert stored(tenant_a, "beta") == (False, {})


def test_modules_need_the_change_permissions(tenant_a, db):
    reader, _ = staff_client_with("reader@souk.test", "view_tenant")
    before = stored(tenant_a, "alpha")
    assert reader.get(module_url(tenant_a, "alpha")).status_code == 403
    refused = reader.post(module_url(tenant_a, "alpha"), {"greeting": "hey", "max_items": "5"})
    assert refused.status_code == 403
    assert stored(tenant_a, "alpha") == before
    # The reader sees the list, without the links to change it.
    page = reader.get(f"/console/fleet/{tenant_a.slug}/")
    assert page.status_code == 200 and module_url(tenant_a, "alpha").encode() not in page.content

    editor, _ = staff_client_with("editor@souk.test", *MODULE_PERMISSIONS)
    assert editor.get(module_url(tenant_a, "alpha")).status_code == 200
    assert editor.get(module_url(tenant_a, "no-such-module")).status_code == 404


def test_enter_as_support_opens_one_audited_session_and_hands_off(tenant_a, client_for, db):
    staff_client, staff = staff_client_with("helper@souk.test", "view_tenant", "add_supportsession")
    page = staff_client.get(f"/console/fleet/{tenant_a.slug}/")
    assert b"Enter as support" in page.content
    # The form is answered by a redirect to the marketplace's host, which CSP must allow.
    assert "http://alpha-market.souk.test" in page["Content-Security-Policy"]

    response = staff_client.post(
        f"/console/fleet/{tenant_a.slug}/support/", {"reason": "Ticket 77: checkout fails"}
    )

    assert response.status_code == 302
    target = urlparse(response["Location"])
    assert (target.hostname, target.path) == ("alpha-market.souk.test", "/accounts/handoff/")
    session = SupportSession.objects.get()
    assert (session.staff, session.tenant, session.reason) == (
        staff,
        tenant_a,
        "Ticket 77: checkout fails",
    )
    assert session.ended_at is None and session.ip_address == "127.0.0.1"
    landed = client_for(tenant_a).get(f"{target.path}?{target.query}")
    assert landed.status_code == 302
    assert SupportSession.objects.count() == 1


def test_enter_as_support_needs_a_reason_and_the_permission(tenant_a, db):
    reader, _ = staff_client_with("reader@souk.test", "view_tenant")
    page = reader.get(f"/console/fleet/{tenant_a.slug}/")
    assert b'action="/console/fleet/alpha-market/support/"' not in page.content
    refused = reader.post(f"/console/fleet/{tenant_a.slug}/support/", {"reason": "curious"})
    assert refused.status_code == 403

    helper, _ = staff_client_with("helper@souk.test", "view_tenant", "add_supportsession")
    blank = helper.post(f"/console/fleet/{tenant_a.slug}/support/", {"reason": "   "})
    assert blank.status_code == 400
    assert "reason" in blank.context["support_form"].errors
    assert not SupportSession.objects.exists()


def test_the_tenant_page_is_for_verified_staff_only(tenant_a, db):
    url = f"/console/fleet/{tenant_a.slug}/"
    unverified, _ = staff_client_with("half@souk.test", "view_tenant", is_verified=False)
    not_staff, _ = staff_client_with("nobody@souk.test", "view_tenant", is_staff=False)
    for client in (unverified, not_staff, Client(HTTP_HOST="souk.test")):
        assert client.get(url).status_code == 302
        assert client.post(f"{url}support/", {"reason": "x"}).status_code == 302
    no_permission, _ = staff_client_with("other@souk.test", "view_supportsession")
    assert no_permission.get(url).status_code == 403
    assert not SupportSession.objects.exists()
    assert not User.objects.filter(email__startswith="support+").exists()


def test_plan_prices_are_shown_and_edited_as_money(staff_client, db):
    plan = Plan.objects.create(slug="pro", name="Pro", monthly_price_minor=2900, currency="USD")
    listing = staff_client.get("/console/tenants/plan/")
    assert b"29.00 USD" in listing.content and b"2900" not in listing.content
    url = f"/console/tenants/plan/{plan.pk}/change/"
    form = staff_client.get(url)
    assert b'value="29.00"' in form.content
    data = {"slug": "pro", "name": "Pro", "description": "", "allowed_modules": "[]"}

    refused = staff_client.post(url, {**data, "currency": "USD", "monthly_price": "12.345"})
    assert refused.status_code == 200
    assert "monthly_price" in refused.context["adminform"].form.errors
    plan.refresh_from_db()
    assert plan.monthly_price_minor == 2900

    saved = staff_client.post(url, {**data, "currency": "jpy", "monthly_price": "1200"})
    assert saved.status_code == 302
    plan.refresh_from_db()
    assert (plan.monthly_price_minor, plan.currency) == (1200, "JPY")


def test_the_tenant_page_reads_only_its_own_schema_and_a_fixed_number_of_queries(
    staff_client, client_for, tenant_a, tenant_b, django_assert_max_num_queries
):
    from django.core.cache import cache

    from tenants.selectors import FLEET_SNAPSHOT_CACHE_KEY
    from tests.test_console_fleet import buy, paid_total

    buy(client_for, tenant_a, times=1)
    cache.delete(FLEET_SNAPSHOT_CACHE_KEY)
    staff_client.get(f"/console/fleet/{tenant_b.slug}/")  # the session's own first reads
    with django_assert_max_num_queries(10) as queries:
        page = staff_client.get(f"/console/fleet/{tenant_a.slug}/")
    assert page.status_code == 200
    assert page.context["figures"].gmv == {"USD": paid_total(tenant_a)}
    schemas_read = [q["sql"] for q in queries.captured_queries if "'gmv'" in q["sql"]]
    assert len(schemas_read) == 1 and "t_beta_bazaar" not in schemas_read[0]
    assert cache.get(FLEET_SNAPSHOT_CACHE_KEY) is None  # one page does not compute the fleet


def png(width: int = 40, height: int = 20) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#2f6fde").save(buffer, format="PNG")
    return buffer.getvalue()


def branding_form(**changes) -> dict:
    return {
        "display_name": "Alpha Market",
        "tagline": "",
        "theme": "base",
        "font": "system",
        "primary_colour": "#2f6fde",
        "accent_colour": "#f5a623",
        "background_colour": "#ffffff",
        "text_colour": "#1b1f24",
        **changes,
    }


def test_the_logo_is_uploaded_in_the_console_and_checked_by_content(staff_client, tenant_a):
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tenants.services.branding_assets import asset_storage_name

    url = f"/console/tenants/branding/{tenant_a.branding.pk}/change/"
    page = staff_client.get(url)
    assert b'enctype="multipart/form-data"' in page.content and b'name="logo"' in page.content

    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    refused = staff_client.post(url, branding_form(tagline="Changed", logo=fake))
    assert refused.status_code == 200
    assert "logo" in refused.context["adminform"].form.errors
    tenant_a.branding.refresh_from_db()
    assert (tenant_a.branding.logo_url, tenant_a.branding.tagline) == ("", "")

    image = SimpleUploadedFile("whatever.gif", png(), content_type="image/gif")
    saved = staff_client.post(url, branding_form(tagline="Tools", logo=image))
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    tenant_a.branding.refresh_from_db()
    assert tenant_a.branding.tagline == "Tools"
    assert tenant_a.branding.logo_url.startswith("/brand-assets/logo-")
    assert tenant_a.branding.logo_url.endswith(".png")
    name = tenant_a.branding.logo_url.removeprefix("/brand-assets/")
    assert default_storage.exists(asset_storage_name(tenant_a.schema_name, name))

    removed = staff_client.post(url, branding_form(tagline="Tools", remove_logo="on"))
    assert removed.status_code == 302
    tenant_a.branding.refresh_from_db()
    assert tenant_a.branding.logo_url == ""
