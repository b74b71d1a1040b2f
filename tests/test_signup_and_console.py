"""The platform host: "open your marketplace" lands a signed-in operator on the new storefront;
the staff console is behind django-otp."""

from __future__ import annotations

from urllib.parse import urlparse

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from core.accounts.models import LoginHandoff, Role, User
from tenants.models import Tenant
from tests.platform_helpers import sign_up_form


def test_sign_up_provisions_and_lands_the_operator_signed_in(platform_client, db):
    response = platform_client.post("/", sign_up_form())

    assert response.status_code == 302
    target = urlparse(response["Location"])
    assert target.hostname == "spice-route.souk.test"
    assert target.path == "/accounts/handoff/"
    tenant = Tenant.objects.get(slug="spice-route")
    assert tenant.branding.theme == "bazaar"

    storefront = Client(HTTP_HOST="spice-route.souk.test")
    landed = storefront.get(f"{target.path}?{target.query}")
    assert landed.status_code == 302 and landed["Location"] == "/"
    home = storefront.get("/")
    assert b"founder@spice.example" in home.content
    assert b"Spice Route" in home.content
    with schema_context(tenant.schema_name):
        owner = User.objects.get()
        assert owner.role == Role.OPERATOR and owner.check_password("cardamom and saffron")

    # The ticket is single-use: replaying the link signs nobody in.
    replay = Client(HTTP_HOST="spice-route.souk.test").get(f"{target.path}?{target.query}")
    assert replay.status_code == 400
    assert b"no longer works" in replay.content


def test_sign_up_errors_are_shown_on_the_form_and_nothing_is_made(platform_client, db):
    response = platform_client.post("/", sign_up_form(slug="admin"))
    assert response.status_code == 400
    assert b"reserved" in response.content
    assert not Tenant.objects.filter(name="Spice Route").exists()


def test_handoff_ticket_of_one_marketplace_does_not_work_on_another(
    platform_client, tenant_b, client_for
):
    target = urlparse(platform_client.post("/", sign_up_form())["Location"])
    other = client_for(tenant_b).get(f"{target.path}?{target.query}")
    assert other.status_code == 400
    tenant = Tenant.objects.get(slug="spice-route")
    with schema_context(tenant.schema_name):
        assert LoginHandoff.objects.filter(used_at__isnull=True).count() == 1


def test_console_requires_a_second_factor(staff_user, db):
    device = TOTPDevice.objects.create(user=staff_user, name="phone", confirmed=True)
    client = Client(HTTP_HOST="souk.test")

    without_token = client.post(
        "/console/login/",
        {"username": "staff@souk.test", "password": "correct horse battery"},
    )
    assert without_token.status_code == 200  # the form again
    assert client.get("/console/").status_code == 302

    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    with_token = client.post(
        "/console/login/",
        {
            "username": "staff@souk.test",
            "password": "correct horse battery",
            "otp_device": device.persistent_id,
            "otp_token": f"{token:06d}",
        },
    )
    assert with_token.status_code == 302
    assert client.get("/console/").status_code == 200


def test_console_provisions_through_the_service(staff_client):
    response = staff_client.post(
        "/console/tenants/tenant/add/",
        {
            "name": "Console Shop",
            "slug": "console-shop",
            "owner_email": "o@console.example",
            "theme": "base",
            "modules": ["alpha"],
            "custom_domains": "console-shop.example",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    tenant = Tenant.objects.get(slug="console-shop")
    assert sorted(tenant.domains.values_list("domain", flat=True)) == [
        "console-shop.example",
        "console-shop.souk.test",
    ]
    listing = staff_client.get("/console/tenants/tenant/")
    assert b"Console Shop" in listing.content


def test_console_is_not_on_tenant_hosts(client_for, tenant_a):
    assert client_for(tenant_a).get("/console/").status_code == 404


def test_console_branding_edit_is_validated_and_saved_through_the_service(staff_client, tenant_a):
    url = f"/console/tenants/branding/{tenant_a.branding.pk}/change/"
    form = {
        "display_name": "Alpha Market",
        "theme": "bazaar",
        "tagline": "",
        "logo_url": "",
        "primary_colour": "#zzzzzz",
        "accent_colour": "#f5a623",
        "background_colour": "#ffffff",
        "text_colour": "#1b1f24",
        "font": "system",
    }
    refused = staff_client.post(url, form)
    assert refused.status_code == 200
    assert b"primary_colour" in refused.content
    tenant_a.branding.refresh_from_db()
    assert tenant_a.branding.theme == "base"

    saved = staff_client.post(url, {**form, "primary_colour": "#00aa00"})
    assert saved.status_code == 302
    tenant_a.branding.refresh_from_db()
    assert (tenant_a.branding.theme, tenant_a.branding.primary_colour) == ("bazaar", "#00aa00")
