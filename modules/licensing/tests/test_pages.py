"""The buyer's licence pages: the list with copy buttons, a licence with its machines and
account, deactivating a machine; another buyer's licence is a 404."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django_tenants.utils import schema_context

from core.crypto import encrypt
from modules.licensing.models import Machine, ProvisionedAccount
from modules.licensing.tests.helpers import (
    buy,
    make_software,
    seat_variants,
    seller_client,
    signed_in,
    team_member_client,
    variant_of,
)

MODULE_FOLDER = Path(__file__).resolve().parent.parent


def _machine(shop, license, fingerprint):
    with schema_context(shop.tenant.schema_name):
        return Machine.objects.create(
            license_id=license.pk, fingerprint=fingerprint, name="Studio Mac", platform="macos"
        )


def test_signing_in_is_needed(shop, client_for):
    response = client_for(shop.tenant).get("/licenses/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/licenses/"


def test_the_list_shows_each_key_with_a_copy_button(
    shop, client_for, django_capture_on_commit_callbacks
):
    team, _ = make_software(
        shop.tenant, shop.seller, "Team Editor", variants=seat_variants(2), is_license_per_seat=True
    )
    seats = buy(
        client_for,
        shop,
        django_capture_on_commit_callbacks,
        product=team,
        variant=variant_of(shop.tenant, team, "seats-2"),
    )
    [single] = buy(client_for, shop, django_capture_on_commit_callbacks)
    [others] = buy(client_for, shop, django_capture_on_commit_callbacks, buyer=shop.other_buyer)
    client = signed_in(client_for, shop.tenant, shop.buyer)

    response = client.get("/licenses/")

    page = response.content.decode()
    assert response.status_code == 200
    for license in [*seats, single]:
        assert f'data-copy="{license.key}"' in page
        assert f'href="/licenses/{license.pk}/"' in page
    assert others.key not in page
    assert page.index(single.key) < page.index(seats[0].key)  # newest first
    assert "seat 2" in page and "0 of 2" in page
    assert '/static/licensing/copy-key.js"' in page
    assert finders.find("licensing/copy-key.js")
    assert 'data-module="licensing"' in page  # the module's entry in the header


def test_a_licence_page_shows_machines_and_the_account(
    shop, client_for, django_capture_on_commit_callbacks
):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    machine = _machine(shop, license, "fp-mac")
    with schema_context(shop.tenant.schema_name):
        ProvisionedAccount.objects.create(
            license_id=license.pk,
            status="provisioned",
            external_account_id="acct_7",
            credentials_encrypted=encrypt(json.dumps({"login": "bea@acme"})),
        )
    client = signed_in(client_for, shop.tenant, shop.buyer)

    response = client.get(f"/licenses/{license.pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert f'<code class="key" id="license-key">{license.key}</code>' in page
    assert f'data-copy="{license.key}"' in page
    assert f'data-machine="{machine.pk}"' in page and "Studio Mac" in page
    assert f'action="/licenses/{license.pk}/machines/{machine.pk}/deactivate/"' in page
    assert "acct_7" in page and "bea@acme" in page
    assert "1 of 2" in page and "pro, export" in page


def test_buyers_deactivate_a_machine_from_the_page(
    shop, client_for, django_capture_on_commit_callbacks
):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    machine = _machine(shop, license, "fp-mac")
    client = signed_in(client_for, shop.tenant, shop.buyer)

    response = client.post(f"/licenses/{license.pk}/machines/{machine.pk}/deactivate/", follow=True)

    assert response.redirect_chain == [(f"/licenses/{license.pk}/", 302)]
    assert "its seat is free" in response.content.decode()
    assert "Not activated on any machine yet" in response.content.decode()
    with schema_context(shop.tenant.schema_name):
        assert not Machine.objects.filter(pk=machine.pk).exists()
    missing = client.post(f"/licenses/{license.pk}/machines/{machine.pk}/deactivate/")
    assert missing.status_code == 404


def test_another_buyers_licence_page_is_not_found(
    shop, client_for, django_capture_on_commit_callbacks
):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    machine = _machine(shop, license, "fp-mac")
    other = signed_in(client_for, shop.tenant, shop.other_buyer)

    assert other.get(f"/licenses/{license.pk}/").status_code == 404
    response = other.post(f"/licenses/{license.pk}/machines/{machine.pk}/deactivate/")
    assert response.status_code == 404
    assert license.key not in other.get("/licenses/").content.decode()
    with schema_context(shop.tenant.schema_name):
        assert Machine.objects.filter(pk=machine.pk).exists()


def test_pages_are_gone_with_the_module_off(shop, client_for, django_capture_on_commit_callbacks):
    from tenants.services import set_module_enabled

    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    client = signed_in(client_for, shop.tenant, shop.buyer)
    set_module_enabled(tenant=shop.tenant, key="licensing", is_enabled=False)

    assert client.get("/licenses/").status_code == 404
    assert client.get(f"/licenses/{license.pk}/").status_code == 404
    home = client.get("/")
    assert home.status_code == 200 and b'data-module="licensing"' not in home.content
    assert client.get("/account/orders/").status_code == 200


def test_the_pages_come_from_the_modules_folder_with_the_account_nav(shop, client_for):
    client = signed_in(client_for, shop.tenant, shop.buyer)

    response = client.get("/licenses/")

    assert response.templates[0].origin.name == str(
        MODULE_FOLDER / "templates" / "licensing" / "licenses.html"
    )
    assert not (Path(settings.THEMES_DIR) / "base" / "templates" / "licensing").exists()
    assert finders.find("licensing/copy-key.js") == str(
        MODULE_FOLDER / "static" / "licensing" / "copy-key.js"
    )
    page = response.content.decode()
    assert '<a href="/licenses/" data-module="licensing" aria-current="page">Licences</a>' in page
    assert '<a href="/search/?type=software" data-module="licensing">Software</a>' in page
    assert (
        'href="/licenses/" data-module="licensing"'
        in client.get("/accounts/profile/").content.decode()
    )


def test_the_integration_page_moved_into_the_studio_for_those_who_may_open_it(shop, client_for):
    """The integration dashboard is the studio's Integration section now; the licensing
    module's old address redirects there, forms posted to it keep their method."""
    owner = seller_client(client_for, shop.tenant, shop.seller)
    developer = team_member_client(
        client_for, shop.tenant, shop.seller, "dev@example.com", ["configure_integration"]
    )
    packer = team_member_client(
        client_for, shop.tenant, shop.seller, "packer@example.com", ["process_orders"]
    )
    link = '<a href="/studio/integration/"'

    assert link in owner.get("/studio/team/").content.decode()
    assert (
        f'{link} aria-current="page">Integration</a>'
        in developer.get("/studio/integration/").content.decode()
    )
    assert packer.get("/studio/integration/").status_code == 403
    old = developer.get("/licenses/integration/")
    assert (old.status_code, old["Location"]) == (302, "/studio/integration/")
    old_call = developer.get("/licenses/integration/calls/7/")
    assert (old_call.status_code, old_call["Location"]) == (302, "/studio/integration/calls/7/")
    old_form = developer.post("/licenses/integration/secret/rotate/")
    assert (old_form.status_code, old_form["Location"]) == (
        308,
        "/studio/integration/secret/rotate/",
    )
