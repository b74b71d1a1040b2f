"""Every page's header has a way in for everyone: guests get "Sign in" (coming back to the
page they were on, the cart included) and "Sign up"; a signed-in user an account menu with
their profile, orders and the modules' account pages; sellers and their teammates the studio;
operators the back-office; platform support in a support session the way back to the console.
Nobody gets a link to an area that is not theirs."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import Role
from core.sellers.models import TeamMember
from tests.accounts_helpers import PASSWORD, make_user, signed_in_operator
from tests.catalog_helpers import make_product, make_seller
from tests.test_support_session_enforcement import open_session


def page(client: Client, path: str = "/") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def menu_of(html: str) -> dict[str, str]:
    """The account menu's links: data-menu / data-module key -> href."""
    match = re.search(r'<details class="account-menu">(.*?)</details>', html, re.S)
    assert match, "no account menu"
    links = re.findall(r'<a href="([^"]+)" data-(?:menu|module)="([^"]+)"', match.group(1))
    return {key: href for href, key in links}


def signed_in(client_for, tenant, email: str) -> Client:
    client: Client = client_for(tenant)
    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


def test_a_guest_gets_sign_in_returning_here_and_sign_up(client_for, tenant_a):
    html = page(client_for(tenant_a), "/search/?q=editor")

    assert 'href="/accounts/login/?next=/search/%3Fq%3Deditor" class="sign-in">Sign in</a>' in html
    assert 'href="/accounts/signup/?next=/search/%3Fq%3Deditor" class="sign-up">Sign up</a>' in html
    assert 'class="account-menu"' not in html
    assert 'href="/cart/" class="cart-link">Cart</a>' in html


def test_signing_in_from_the_cart_returns_to_the_cart_with_its_lines(client_for, tenant_a):
    seller = make_seller(tenant_a, "acme", "Acme Tools")
    product = make_product(tenant_a, seller, "Swift Editor", price=2000)
    make_user(tenant_a, "buyer@example.com")
    client = client_for(tenant_a)
    assert client.post("/cart/add/", {"product_id": product.pk, "quantity": 1}).status_code in (
        200,
        302,
    )
    cart = page(client, "/cart/")
    assert 'href="/accounts/login/?next=/cart/" class="sign-in"' in cart

    response = client.post(
        "/accounts/login/?next=/cart/", {"username": "buyer@example.com", "password": PASSWORD}
    )

    assert response.status_code == 302 and response["Location"] == "/cart/"
    assert "Swift Editor" in page(client, "/cart/")


def test_sign_in_refuses_to_send_anyone_to_another_host(client_for, tenant_a):
    make_user(tenant_a, "buyer@example.com")
    client = client_for(tenant_a)
    response = client.post(
        "/accounts/login/?next=https://evil.example/",
        {"username": "buyer@example.com", "password": PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_signing_up_from_a_page_returns_to_it(client_for, tenant_a):
    client = client_for(tenant_a)
    response = client.post(
        "/accounts/signup/?next=/cart/",
        {"email": "new@example.com", "password": "a long enough pass 42", "full_name": "Nia New"},
    )
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == "/cart/"


def test_a_buyer_gets_profile_orders_and_licences_but_no_studio_or_back_office(
    client_for, tenant_a
):
    make_user(tenant_a, "buyer@example.com")
    menu = menu_of(page(signed_in(client_for, tenant_a, "buyer@example.com")))

    assert menu["profile"] == "/accounts/profile/"
    assert menu["orders"] == "/account/orders/"
    assert "studio" not in menu and "operator" not in menu and "console" not in menu


def test_the_licensing_module_adds_licences_to_the_menu_where_it_is_on(client_for, make_tenant):
    tenant = make_tenant("licence-market", modules=["licensing"]).tenant
    make_user(tenant, "buyer@example.com")
    menu = menu_of(page(signed_in(client_for, tenant, "buyer@example.com")))

    assert menu["licensing"] == "/licenses/"


def test_a_seller_and_a_teammate_get_the_studio(client_for, tenant_a):
    seller = make_seller(tenant_a, "acme", "Acme Tools")
    teammate = make_user(tenant_a, "mate@example.com", role=Role.SELLER)
    with schema_context(tenant_a.schema_name):
        TeamMember.objects.create(seller=seller, user=teammate, permissions=["view_orders"])

    owner_menu = menu_of(page(signed_in(client_for, tenant_a, "acme@example.com")))
    mate_menu = menu_of(page(signed_in(client_for, tenant_a, "mate@example.com")))

    assert owner_menu["studio"] == "/studio/"
    assert mate_menu["studio"] == "/studio/"
    assert "operator" not in owner_menu and "operator" not in mate_menu


def test_an_operator_gets_the_back_office(client_for, tenant_a):
    client, _ = signed_in_operator(client_for, tenant_a)
    menu = menu_of(page(client))

    assert menu["operator"] == "/operator/"
    assert "studio" not in menu and "console" not in menu


def test_support_in_a_support_session_gets_the_way_back_to_the_console(staff_client, tenant_a):
    opened = open_session(staff_client)
    assert opened.status_code == 201, opened.content
    url = urlparse(opened.json()["url"])
    agent = Client(HTTP_HOST="alpha-market.souk.test")
    assert agent.get(f"{url.path}?{url.query}").status_code == 302

    menu = menu_of(page(agent))

    assert menu["console"] == f"http://souk.test/console/tenants/tenant/{tenant_a.pk}/change/"


def test_the_menu_is_on_other_pages_too_and_marks_the_current_one(client_for, tenant_a):
    make_user(tenant_a, "buyer@example.com")
    client = signed_in(client_for, tenant_a, "buyer@example.com")

    html = page(client, "/account/orders/")

    assert 'href="/account/orders/" data-menu="orders" aria-current="page">Orders</a>' in html


def test_the_menu_costs_one_query_for_a_signed_in_page(
    client_for, tenant_a, django_assert_max_num_queries
):
    make_user(tenant_a, "buyer@example.com")
    client = signed_in(client_for, tenant_a, "buyer@example.com")
    client.get("/")
    guest = client_for(tenant_a)
    guest.get("/")

    with django_assert_max_num_queries(10):
        assert guest.get("/").status_code == 200
    with django_assert_max_num_queries(13):
        assert client.get("/").status_code == 200


def test_the_module_nav_leads_buyers_to_the_catalogue_and_my_licences_sit_in_the_menu(
    client_for, make_tenant
):
    tenant = make_tenant("licence-market", modules=["licensing"]).tenant
    make_user(tenant, "buyer@example.com")
    guest_page = page(client_for(tenant))
    header_nav = re.search(r'<nav class="modules"[^>]*>(.*?)</nav>', guest_page, re.S)

    assert header_nav is not None
    assert '<a href="/search/?type=software" data-module="licensing">Software</a>' in (
        header_nav.group(0)
    )
    assert "/licenses/" not in header_nav.group(0)
    buyer_page = page(signed_in(client_for, tenant, "buyer@example.com"))
    assert menu_of(buyer_page)["licensing"] == "/licenses/"


def test_the_account_pages_offer_the_studio_to_sellers_and_sell_here_to_buyers(
    client_for, tenant_a, django_assert_max_num_queries
):
    make_seller(tenant_a, "acme", "Acme Tools")
    make_user(tenant_a, "buyer@example.com")
    seller_client = signed_in(client_for, tenant_a, "acme@example.com")
    buyer_client = signed_in(client_for, tenant_a, "buyer@example.com")

    seller_nav = page(seller_client, "/accounts/profile/").split('class="subnav"')[1]
    buyer_nav = page(buyer_client, "/accounts/profile/").split('class="subnav"')[1]

    assert '<a href="/studio/">Studio</a>' in seller_nav and "Sell here" not in seller_nav
    assert ">Sell here</a>" in buyer_nav and 'href="/studio/"' not in buyer_nav
    # The header's menu and the page's nav share one look-up.
    with django_assert_max_num_queries(6):
        page(buyer_client, "/accounts/profile/")
