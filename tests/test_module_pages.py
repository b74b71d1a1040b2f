"""Module UI extension points, with the alpha test module (one page per area in its manifest):
the navigation of each area lists a module's pages only where it is on (and, in the studio,
only to a teammate holding its permission); the manifest's permissions guard its seller API
and studio pages; its templates come from its folder and a theme may override them; its
settings come back as its own model. A module's studio pages live in the studio
(``/studio/<prefix>``, inside its shell); the old ``/seller/<prefix>`` paths redirect there."""

from __future__ import annotations

from pathlib import Path
from typing import assert_type

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.template import engines
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from ninja import Router

import tests.testmodules.alpha
from core.accounts.models import Role
from core.registry import ModuleManifest, ModuleRegistry, NavEntry
from core.registry.checks import check_registry
from core.sellers.auth import behind_seller_team_auth
from core.sellers.checks import module_permission_errors
from core.sellers.models import Seller, TeamMember, VerificationStatus
from tenants.models import Tenant
from tenants.services import set_module_enabled
from tests.accounts_helpers import call, make_user, sign_in, signed_in_operator
from tests.testmodules.alpha.manifest import AlphaSettings
from tests.testmodules.alpha.manifest import manifest as alpha_manifest

ACCOUNT_LINK = '<a href="/alpha/mine/" data-module="alpha"'
STUDIO_LINK = '<a href="/studio/alpha/" data-module="alpha"'
OPERATOR_LINK = '<a href="/operator/alpha/" data-module="alpha"'
HEADER_LINK = '<a href="/alpha/" data-module="alpha">Alpha goods</a>'
ALPHA_FOLDER = Path(tests.testmodules.alpha.__file__).parent


def make_seller(tenant: Tenant, owner_email: str = "owner@shop.example") -> Seller:
    owner = make_user(tenant, owner_email, role=Role.SELLER)
    with schema_context(tenant.schema_name):
        return Seller.objects.create(
            owner=owner,
            slug="shop",
            business_name="Shop",
            legal_form="company",
            verification_status=VerificationStatus.VERIFIED,
        )


def signed_in(client_for, tenant: Tenant, email: str) -> Client:
    client = client_for(tenant)
    assert sign_in(client, email).json()["status"] == "signed_in"
    return client


def teammate(client_for, tenant: Tenant, seller: Seller, email: str, permissions) -> Client:
    user = make_user(tenant, email)
    with schema_context(tenant.schema_name):
        TeamMember.objects.create(seller=seller, user=user, permissions=sorted(permissions))
    return signed_in(client_for, tenant, email)


def page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def reset_template_cache() -> None:
    for loader in engines["django"].engine.template_loaders:  # type: ignore[attr-defined]
        loader.reset()


# --- the navigation ------------------------------------------------------------------------------


def test_each_area_lists_a_modules_pages_while_it_is_on_and_drops_them_when_it_is_off(
    client_for, tenant_a
):
    make_seller(tenant_a)
    make_user(tenant_a, "bea@example.com")
    buyer = signed_in(client_for, tenant_a, "bea@example.com")
    owner = signed_in(client_for, tenant_a, "owner@shop.example")
    operator, _ = signed_in_operator(client_for, tenant_a)

    assert HEADER_LINK in page(buyer, "/")
    assert ACCOUNT_LINK in page(buyer, "/accounts/profile/")
    assert STUDIO_LINK in page(owner, "/studio/team/")
    assert OPERATOR_LINK in page(operator, "/operator/users/")
    # The module's own pages show the nav with their entry as the current page.
    assert f'{ACCOUNT_LINK} aria-current="page">Alpha items</a>' in page(buyer, "/alpha/mine/")
    assert f'{STUDIO_LINK} aria-current="page">Alpha stock</a>' in page(owner, "/studio/alpha/")
    assert f'{OPERATOR_LINK} aria-current="page">Alpha settings</a>' in page(
        operator, "/operator/alpha/"
    )

    set_module_enabled(tenant=tenant_a, key="alpha", is_enabled=False)

    home = page(buyer, "/")
    assert 'data-module="alpha"' not in home and 'class="modules"' not in home
    assert 'data-module="alpha"' not in page(buyer, "/accounts/profile/")
    assert 'data-module="alpha"' not in page(owner, "/studio/team/")
    assert 'data-module="alpha"' not in page(operator, "/operator/users/")
    gone = [
        buyer.get("/alpha/mine/"),
        owner.get("/studio/alpha/"),
        owner.get("/seller/alpha/"),
        operator.get("/operator/alpha/"),
        call(owner, "get", "/alpha/seller/stock"),
    ]
    assert [response.status_code for response in gone] == [404] * 5


def test_a_module_on_in_one_marketplace_shows_its_pages_there_only(
    client_for, tenant_a, make_tenant
):
    # Alpha and licensing sell the same type, so a marketplace runs one of them.
    tenant_c = make_tenant("licence-shop", modules=["licensing"]).tenant
    for tenant in (tenant_a, tenant_c):
        make_user(tenant, "bea@example.com")
    in_a = signed_in(client_for, tenant_a, "bea@example.com")
    in_c = signed_in(client_for, tenant_c, "bea@example.com")
    operator_a, _ = signed_in_operator(client_for, tenant_a)
    operator_c, _ = signed_in_operator(client_for, tenant_c)

    account_a = page(in_a, "/accounts/profile/")
    account_c = page(in_c, "/accounts/profile/")
    assert ACCOUNT_LINK in account_a and 'data-module="licensing"' not in account_a
    assert 'href="/licenses/" data-module="licensing">Licences</a>' in account_c
    assert 'data-module="alpha"' not in account_c
    assert OPERATOR_LINK in page(operator_a, "/operator/users/")
    assert 'data-module="alpha"' not in page(operator_c, "/operator/users/")
    assert in_c.get("/alpha/mine/").status_code == 404
    assert operator_c.get("/operator/alpha/").status_code == 404


def test_pages_with_the_module_nav_cost_no_query_of_their_own(client_for, tenant_a):
    """The nav reads the enabled modules the request already memoised and the permissions
    the page read when it authorised the teammate: the same queries with the module's
    entries as without them."""
    seller = make_seller(tenant_a)
    clerk = teammate(
        client_for,
        tenant_a,
        seller,
        "clerk@example.com",
        ["configure_integration", "manage_products", "process_orders"],
    )
    make_user(tenant_a, "bea@example.com")
    buyer = signed_in(client_for, tenant_a, "bea@example.com")

    def count(client: Client, path: str, link: str, is_shown: bool) -> int:
        client.get(path)  # the enabled-modules cache is filled after a change
        with CaptureQueriesContext(connection) as captured:
            body = page(client, path)
        assert (link in body) is is_shown
        return len(captured)

    studio_on = count(clerk, "/studio/integration/", STUDIO_LINK, True)
    account_on = count(buyer, "/accounts/profile/", ACCOUNT_LINK, True)
    set_module_enabled(tenant=tenant_a, key="alpha", is_enabled=False)
    studio_off = count(clerk, "/studio/integration/", STUDIO_LINK, False)
    account_off = count(buyer, "/accounts/profile/", ACCOUNT_LINK, False)

    assert (studio_on, account_on) == (studio_off, account_off)
    # The module's entries add nothing: the numbers are the pages' own (the integration page
    # reads keys, endpoints, deliveries, calls and health; the account page the header menu).
    assert studio_on <= 18 and account_on <= 6


# --- the manifest's permissions ------------------------------------------------------------------


def test_a_teammate_without_the_modules_permission_gets_403_and_no_nav_entry(client_for, tenant_a):
    seller = make_seller(tenant_a)
    packer = teammate(
        client_for,
        tenant_a,
        seller,
        "packer@example.com",
        ["configure_integration", "process_orders"],
    )
    stocker = teammate(
        client_for, tenant_a, seller, "stocker@example.com", ["manage_products", "process_orders"]
    )
    owner = signed_in(client_for, tenant_a, "owner@shop.example")
    make_user(tenant_a, "bea@example.com")
    buyer = signed_in(client_for, tenant_a, "bea@example.com")

    denied_api = call(packer, "get", "/alpha/seller/stock")
    assert denied_api.status_code == 403
    assert denied_api.json()["error"]["code"] == "permission_denied"
    assert denied_api.json()["error"]["details"] == {"required_permission": "manage_products"}
    denied_page = packer.get("/studio/alpha/")
    assert denied_page.status_code == 403
    assert "manage_products" in denied_page.content.decode()
    assert "Alpha stock" not in page(packer, "/studio/integration/")  # a page packers may open

    for allowed in (stocker, owner):
        assert call(allowed, "get", "/alpha/seller/stock").json() == {"seller": "shop", "items": 0}
        assert "Alpha stock of Shop" in page(allowed, "/studio/alpha/")
        assert STUDIO_LINK in page(allowed, "/studio/alpha/")

    not_a_seller = call(buyer, "get", "/alpha/seller/stock")
    assert (not_a_seller.status_code, not_a_seller.json()["error"]["code"]) == (403, "not_a_seller")
    assert buyer.get("/studio/alpha/").status_code == 403
    anonymous = client_for(tenant_a)
    assert call(anonymous, "get", "/alpha/seller/stock").status_code == 401
    assert anonymous.get("/studio/alpha/")["Location"] == "/accounts/login/?next=/studio/alpha/"


def test_a_modules_old_seller_path_redirects_into_the_studio_shell(client_for, tenant_a):
    make_seller(tenant_a)
    owner = signed_in(client_for, tenant_a, "owner@shop.example")

    moved = owner.get("/seller/alpha/?tab=all")
    posted = owner.post("/seller/alpha/")
    studio = owner.get("/studio/alpha/")

    assert (moved.status_code, moved["Location"]) == (302, "/studio/alpha/?tab=all")
    assert (posted.status_code, posted["Location"]) == (308, "/studio/alpha/")
    assert studio.templates[0].name == "alpha/stock.html"
    assert "studio/base.html" in [template.name for template in studio.templates]
    assert '<nav class="workspace-nav" aria-label="Seller studio">' in studio.content.decode()


def test_operator_pages_of_a_module_are_for_operators_only(client_for, tenant_a):
    make_seller(tenant_a)
    owner = signed_in(client_for, tenant_a, "owner@shop.example")
    operator, _ = signed_in_operator(client_for, tenant_a)

    assert owner.get("/operator/alpha/").status_code == 403
    assert "Alpha settings" in page(operator, "/operator/alpha/")
    assert "Alpha settings" not in page(owner, "/accounts/profile/")


def test_a_seller_router_whose_operation_sets_its_own_auth_is_refused():
    router = Router()

    @router.get("/open", auth=None)
    def open_door(request):
        return {}

    with pytest.raises(ImproperlyConfigured, match="sets its own auth"):
        behind_seller_team_auth(router, ["manage_products"])


def test_pages_and_permissions_a_manifest_names_are_checked():
    broken = ModuleManifest(
        key="broken",
        name="Broken",
        permissions=("manage_unicorns",),
        pages=(
            NavEntry(label="Fine", url="/search/", area="storefront"),
            NavEntry(label="Nowhere", url="broken:nowhere", area="account"),
            NavEntry(label="Odd", url="/x/", area="basement"),
            NavEntry(label="Mine", url="/x/", area="account", permission="manage_products"),
            NavEntry(label="Studio", url="/x/", area="studio", permission="view_unicorns"),
        ),
    )
    registry = ModuleRegistry([broken])

    page_errors = [(e.id, e.msg.rsplit(") ", 1)[1]) for e in check_registry(registry)]
    permission_errors = [e.msg for e in module_permission_errors(registry)]

    assert page_errors == [
        ("souk.E007", "names a URL that does not reverse."),
        ("souk.E007", "has no area 'basement'."),
        ("souk.E007", "names a permission outside the studio."),
    ]
    assert permission_errors == [
        "Module 'broken' asks for team permission 'manage_unicorns', which no team role can hold.",
        "Module 'broken' asks for team permission 'view_unicorns', which no team role can hold.",
    ]


# --- templates and settings ----------------------------------------------------------------------


def test_module_templates_come_from_its_folder_and_a_theme_override_wins(
    client_for, tenant_a, tenant_b, settings, tmp_path
):
    """tenant_b runs the bazaar theme; a bazaar copy of the alpha module's template is used
    there, and only there."""
    themes = tmp_path / "themes"
    (themes / "bazaar" / "templates" / "alpha").mkdir(parents=True)
    (themes / "base").symlink_to(Path(settings.THEMES_DIR) / "base")
    (themes / "bazaar" / "templates" / "alpha" / "mine.html").write_text(
        '{% extends "base.html" %}{% block content %}<p id="bazaar-items">Your stall</p>'
        "{% endblock %}"
    )
    for tenant in (tenant_a, tenant_b):
        make_user(tenant, "bea@example.com")
    module_folder = ALPHA_FOLDER / "templates" / "alpha" / "mine.html"

    plain = signed_in(client_for, tenant_a, "bea@example.com").get("/alpha/mine/")
    assert plain.templates[0].origin.name == str(module_folder)

    settings.THEMES_DIR = themes
    reset_template_cache()
    try:
        themed = signed_in(client_for, tenant_b, "bea@example.com").get("/alpha/mine/")
        unthemed = signed_in(client_for, tenant_a, "bea@example.com").get("/alpha/mine/")
    finally:
        reset_template_cache()

    assert '<p id="bazaar-items">Your stall</p>' in themed.content.decode()
    assert themed.templates[0].origin.name == str(themes / "bazaar/templates/alpha/mine.html")
    assert "Your stall" not in unthemed.content.decode()
    assert unthemed.templates[0].origin.name == str(module_folder)


def test_settings_for_returns_the_modules_own_model(tenant_a, tenant_b) -> None:
    set_module_enabled(tenant=tenant_a, key="alpha", is_enabled=True, config={"greeting": "hej"})

    settings_a = alpha_manifest.settings_for(tenant_a)
    settings_b = alpha_manifest.settings_for(tenant_b)

    # Typed as AlphaSettings for mypy (no isinstance in callers) and at run time.
    assert_type(settings_a, AlphaSettings)
    assert (type(settings_a), settings_a.greeting, settings_a.max_items) == (
        AlphaSettings,
        "hej",
        10,
    )
    assert settings_b == AlphaSettings.model_validate({})  # never configured there: defaults
    assert "dashboard_urls" not in ModuleManifest.__dataclass_fields__


def test_module_static_files_are_found_in_the_module_folder():
    from django.contrib.staticfiles import finders

    found = finders.find("licensing/copy-key.js")
    assert found == str(Path(settings.BASE_DIR) / "modules/licensing/static/licensing/copy-key.js")
