"""Anonymous storefront pages come whole from the cache (core/storefront/page_cache.py): the
same page for every anonymous visitor of a URL, no session touched, headers a CDN can follow,
replaced at once when the catalogue, branding or a seller's profile changes; a signed-in
visitor's page is never kept or shown to anyone else; one marketplace's pages never reach
another's."""

from __future__ import annotations

import gzip

import brotli
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.catalog.services.products import products_changed
from core.sellers.models import Seller
from core.storefront.page_cache import TOKEN_FIELD, TOKEN_PLACEHOLDER
from tenants.services.branding import update_branding
from tests.accounts_helpers import PASSWORD
from tests.catalog_helpers import make_category
from tests.commerce_helpers import make_shop
from tests.fleet_helpers import host_of
from tests.test_analytics import BROWSER, flush, stats

PAGES = ("/", "/c/tools/", "/search/?q=swift", "/p/swift-editor/", "/s/acme/")


@pytest.fixture
def shop(tenant_a, settings):
    settings.SOUK_PAGE_CACHE_SECONDS = 60
    make_category(tenant_a, "Tools")
    return make_shop(tenant_a)


def statements(client, path, **extra):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **extra)
    sql = [q["sql"] for q in captured if not q["sql"].startswith("SET search_path")]
    return response, sql


def test_an_anonymous_page_is_rendered_once_then_served_without_sql_or_a_session(shop, client_for):
    client = client_for(shop.tenant)
    first, first_sql = statements(client, "/")
    again, again_sql = statements(client_for(shop.tenant), "/")

    assert first.status_code == again.status_code == 200
    assert again.content == first.content and b"Swift Editor" in again.content
    assert len(first_sql) > 3
    assert len(again_sql) == 1 and "tenants_domain" in again_sql[0]  # the host's tenant only
    assert again["Cache-Control"] == "public, max-age=0, s-maxage=60"
    assert {v.strip() for v in again["Vary"].split(",")} >= {"Cookie", "HX-Request"}
    assert not again.cookies and not first.cookies
    with schema_context(shop.tenant.schema_name):
        from django.contrib.sessions.models import Session

        assert not Session.objects.exists()


@pytest.mark.parametrize("path", PAGES)
def test_every_storefront_page_is_served_from_the_cache_with_at_most_one_statement(
    shop, client_for, path
):
    client = client_for(shop.tenant)
    first = client.get(path)
    assert first.status_code == 200, (path, first.status_code)
    again, sql = statements(client_for(shop.tenant), path)
    assert again.status_code == 200
    assert without_token(again.content) == without_token(first.content)
    assert len(sql) <= 1, sql  # the host's tenant, as for any request


def without_token(page: bytes) -> bytes:
    return TOKEN_FIELD.sub(b"", page)


def test_a_kept_page_with_a_form_gives_each_visitor_their_own_working_token(shop, client_for):
    first_visitor = client_for(shop.tenant)
    first = first_visitor.get("/p/swift-editor/")
    visitor = client_for(shop.tenant)
    theirs, sql = statements(visitor, "/p/swift-editor/")

    assert len(sql) <= 1, sql
    tokens = [TOKEN_FIELD.search(page).group(1) for page in (first.content, theirs.content)]
    assert tokens[0] != tokens[1] and TOKEN_PLACEHOLDER not in theirs.content
    assert theirs["Cache-Control"] == "private, no-cache"  # it answers one visitor now
    assert "csrftoken" in theirs.cookies
    visitor_csrf = Client(HTTP_HOST=host_of(shop.tenant), enforce_csrf_checks=True)
    visitor_csrf.cookies["csrftoken"] = theirs.cookies["csrftoken"].value
    added = visitor_csrf.post(
        "/cart/add/",
        {
            "product_id": shop.editor.pk,
            "quantity": 1,
            "plan": "",
            "variant": "",
            "csrfmiddlewaretoken": tokens[1].decode(),
        },
    )
    assert added.status_code == 302, added.content[:300]


def test_a_product_change_replaces_the_cached_pages_at_once(shop, client_for):
    client = client_for(shop.tenant)
    assert b"Swift Editor" in client.get("/").content
    with schema_context(shop.tenant.schema_name):
        type(shop.editor).objects.filter(pk=shop.editor.pk).update(name="Nimble Editor")
        products_changed([shop.editor.pk])

    page = client.get("/").content
    assert b"Nimble Editor" in page and b"Swift Editor" not in page


def test_a_branding_change_replaces_the_cached_pages(shop, client_for):
    client = client_for(shop.tenant)
    assert b"Alpha Market" in client.get("/").content

    update_branding(tenant=shop.tenant, changes={"display_name": "Alpha Mercado"})

    assert b"Alpha Mercado" in client.get("/").content


def test_a_seller_profile_change_replaces_the_cached_pages(shop, client_for):
    client = client_for(shop.tenant)
    assert b"Made by hand" not in client.get("/s/acme/").content

    with schema_context(shop.tenant.schema_name):
        seller = Seller.objects.get(pk=shop.seller_one.pk)
        seller.bio = "Made by hand in Lisbon."
        seller.save(update_fields=["bio"])

    assert b"Made by hand in Lisbon." in client.get("/s/acme/").content


def test_a_signed_in_page_is_private_and_never_shown_to_anyone_else(shop, client_for):
    page = client_for(shop.tenant).get("/")  # an anonymous visitor first fills the cache
    assert shop.buyer.email.encode() not in page.content
    signed = client_for(shop.tenant)
    answer = signed.post("/accounts/login/", {"username": shop.buyer.email, "password": PASSWORD})
    assert answer.status_code == 302

    theirs = signed.get("/")
    anonymous = client_for(shop.tenant).get("/")

    assert theirs["Cache-Control"] == "private, no-cache"
    assert shop.buyer.email.encode() in theirs.content
    assert shop.buyer.email.encode() not in anonymous.content
    assert anonymous.content == page.content


def test_compressed_copies_are_served_to_clients_that_accept_them(shop, client_for):
    client = client_for(shop.tenant)
    plain = client.get("/").content
    as_br = client.get("/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    as_gzip = client.get("/", HTTP_ACCEPT_ENCODING="gzip")

    assert as_br["Content-Encoding"] == "br"
    assert brotli.decompress(as_br.content) == plain
    assert as_gzip["Content-Encoding"] == "gzip"
    assert gzip.decompress(as_gzip.content) == plain
    assert len(as_br.content) < len(plain) / 2


def test_cached_product_pages_still_count_each_view(
    shop, client_for, redis_url, django_capture_on_commit_callbacks
):
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            answer = client_for(shop.tenant).get("/p/swift-editor/", HTTP_USER_AGENT=BROWSER)
        assert answer.status_code == 200

    assert flush(shop.tenant) == 1
    assert stats(shop.tenant, shop.editor) == (3, 0, 0, 0)


def test_the_same_address_on_two_marketplaces_gets_each_its_own_page(
    tenant_a, tenant_b, client_for, settings
):
    settings.SOUK_PAGE_CACHE_SECONDS = 60
    make_shop(tenant_a)
    make_shop(tenant_b)
    with schema_context(tenant_b.schema_name):
        Seller.objects.filter(slug="acme").update(business_name="Acme of Beta")
        products_changed([])

    a_page = client_for(tenant_a).get("/s/acme/").content
    b_page = client_for(tenant_b).get("/s/acme/").content

    assert b"Alpha Market" in a_page and b"Acme Tools" in a_page
    assert b"Beta Bazaar" in b_page and b"Acme of Beta" in b_page
    assert b"Beta Bazaar" not in client_for(tenant_a).get("/s/acme/").content
