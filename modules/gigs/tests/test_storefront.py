"""A gig's product page sells through its package chooser: three packages side by side with
their prices, extras with price and days, a total; "Continue" prices the choice as a quote,
puts the offer in the cart and goes to checkout. Refusals come back to the page with the
choice kept and the field named; a signed-out buyer signs in first and comes back; another
marketplace's gig and a marketplace with the module off have no chooser and no quote."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from django_tenants.utils import schema_context

from core.commerce.models import CartLine
from modules.gigs.models import GigOrder, GigQuote
from modules.gigs.services import listing
from modules.gigs.tests.helpers import OTHER_GIGS_SLUG, make_gig, make_gigs_tenant, signed_in
from tenants.services.modules import set_module_enabled
from tests.catalog_helpers import make_seller
from tests.commerce_helpers import checkout

PAGE = "/p/logo-design/"
CONTINUE = "/gigs/g/logo-design/continue/"


def _text(response) -> str:
    return response.content.decode()


def _chooser(html: str) -> str:
    found = re.search(r'<form class="gig-chooser".*?</form>', html, re.S)
    assert found, "no package chooser on the page"
    return found.group(0)


def test_the_page_shows_three_packages_side_by_side_with_their_prices_and_extras(shop, client_for):
    html = _text(client_for(shop.tenant).get(PAGE))
    chooser = _chooser(html)
    packages = re.findall(r'<label class="gig-package" data-tier="(\w+)">', chooser)
    assert packages == ["basic", "standard", "premium"]
    for price in ("50.00 USD", "100.00 USD", "200.00 USD"):
        assert price in chooser
    assert "3-day delivery" in chooser and "7-day delivery" in chooser
    assert "Unlimited revisions" in chooser and "2 revisions" in chooser
    assert "Brand guide" in chooser  # premium's features, with check marks
    # The standard package is chosen to start with; the total says so.
    assert re.search(r'value="standard"[^>]*checked', chooser)
    assert 'data-amount="10000">100.00 USD' in chooser
    for extra in ("Express", "One more revision", "Social media kit"):
        assert extra in chooser
    assert "+25.00 USD" in chooser and "2 days faster" in chooser
    assert 'name="csrfmiddlewaretoken"' in chooser
    assert 'action="/gigs/g/logo-design/continue/"' in chooser
    # The page's default add-to-cart form is replaced; the FAQ and the comparison follow.
    assert 'action="/cart/add/"' not in html
    assert "<summary>Do you do print?</summary>" in html
    assert 'class="gig-compare"' in html


def test_standard_with_an_extra_goes_to_checkout_with_the_right_total(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    express = shop.extra_id("Express")
    response = buyer.post(CONTINUE, {"package": "standard", "extra": [str(express)]})
    assert (response.status_code, response["Location"]) == (302, "/checkout/")
    with schema_context(shop.tenant.schema_name):
        line = CartLine.objects.select_related("offer").get(cart__buyer=shop.buyer)
        assert (line.offer.amount, line.offer.currency, line.quantity) == (12500, "USD", 1)
        quote = GigQuote.objects.get(offer=line.offer)
        assert quote.package["tier"] == "standard"
        assert [extra["title"] for extra in quote.extras] == ["Express"]
    page = buyer.get("/checkout/")
    assert page.status_code == 200 and "125.00 USD" in _text(page)
    with django_capture_on_commit_callbacks(execute=True):
        placed = checkout(buyer)
    assert placed.status_code == 201, placed.content
    assert placed.json()["total"]["amount"] == 12500
    with schema_context(shop.tenant.schema_name):
        order = GigOrder.objects.get(buyer=shop.buyer)
        assert (order.amount, order.package["tier"], order.delivery_days) == (12500, "standard", 3)


def test_an_extra_of_another_gig_is_refused_on_the_page_with_the_choice_kept(shop, client_for):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    with schema_context(shop.tenant.schema_name):
        listing.set_extras(
            product=shop.other_gig,
            extras=[listing.ExtraData(kind="custom", title="Pixel extra", price=900, days=1)],
        )
        foreign = shop.other_gig.gig_extras.get().pk
    express = shop.extra_id("Express")
    refused = buyer.post(CONTINUE, {"package": "premium", "extra": [str(express), str(foreign)]})
    assert (refused.status_code, refused["Location"]) == (302, f"{PAGE}#gig-chooser")
    chooser = _chooser(_text(buyer.get(PAGE)))
    assert 'data-error-field="extra_ids"' in chooser
    assert "This gig has no such extra." in chooser
    assert re.search(r'value="premium"[^>]*checked', chooser)  # nothing lost
    assert re.search(rf'value="{express}"[^>]*checked', chooser)
    with schema_context(shop.tenant.schema_name):
        assert not GigQuote.objects.exists() and not CartLine.objects.exists()
    # Shown once: the next visit starts afresh.
    assert "no such extra" not in _text(buyer.get(PAGE))


def test_a_package_that_is_gone_is_refused_with_the_field_named(shop, client_for):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    with schema_context(shop.tenant.schema_name):
        listing.set_packages(product=shop.gig, packages=[listing.PackageData(
            tier="basic", title="Basic", price=5000, delivery_days=3)])  # fmt: skip
    refused = buyer.post(CONTINUE, {"package": "premium"})
    assert refused.status_code == 302
    chooser = _chooser(_text(buyer.get(PAGE)))
    assert 'data-error-field="tier"' in chooser and "This gig has no such package." in chooser
    with schema_context(shop.tenant.schema_name):
        assert not GigQuote.objects.exists()


def test_a_signed_out_buyer_signs_in_and_comes_back_to_the_choice(shop, client_for):
    visitor = client_for(shop.tenant)
    express = shop.extra_id("Express")
    sent = visitor.post(CONTINUE, {"package": "premium", "extra": [str(express)]})
    assert sent.status_code == 302
    location = urlsplit(sent["Location"])
    assert location.path == "/accounts/login/"
    back = parse_qs(location.query)["next"][0]
    assert back.startswith(PAGE)
    with schema_context(shop.tenant.schema_name):
        assert not GigQuote.objects.exists()
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    chooser = _chooser(_text(buyer.get(back)))
    assert re.search(r'value="premium"[^>]*checked', chooser)
    assert re.search(rf'value="{express}"[^>]*checked', chooser)
    assert 'data-amount="22500">225.00 USD' in chooser


def test_another_marketplaces_gig_is_not_found(shop, client_for, make_tenant):
    other = make_gigs_tenant(make_tenant, OTHER_GIGS_SLUG)
    seller = make_seller(other, "elsewhere", "Elsewhere", product_types=["gig"])
    make_gig(other, seller, "Brand audit")
    assert client_for(other).get("/p/brand-audit/").status_code == 200
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    assert buyer.get("/p/brand-audit/").status_code == 404
    assert buyer.post("/gigs/g/brand-audit/continue/", {"package": "basic"}).status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert not GigQuote.objects.exists()


def test_with_the_module_off_there_is_no_chooser_and_no_quote(shop, client_for):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    set_module_enabled(tenant=shop.tenant, key="gigs", is_enabled=False)
    page = buyer.get(PAGE)
    assert 'class="gig-chooser"' not in _text(page)
    assert buyer.post(CONTINUE, {"package": "standard"}).status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert not GigQuote.objects.exists()


def test_the_gig_page_reads_a_fixed_number_of_queries(
    shop, client_for, django_assert_max_num_queries
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    assert buyer.get(PAGE).status_code == 200  # warm caches (modules, branding)
    with django_assert_max_num_queries(QUERIES):
        assert buyer.get(PAGE).status_code == 200
    # More extras and questions in the FAQ read no more: one query each for packages,
    # extras and the FAQ.
    with schema_context(shop.tenant.schema_name):
        extras = [
            listing.ExtraData(kind="custom", title=f"Add-on {n}", price=100 * n, days=1)
            for n in range(1, 11)
        ]
        listing.set_extras(product=shop.gig, extras=extras)
        faq = [listing.FaqData(question=f"Question {n}?", answer="Yes.") for n in range(10)]
        listing.set_faq(product=shop.gig, faq=faq)
    with django_assert_max_num_queries(QUERIES):
        assert "Add-on 10" in _text(buyer.get(PAGE))


QUERIES = 15  # the product page's own 12, and the chooser's packages, extras and FAQ


def test_an_extra_that_is_not_an_id_is_refused_not_dropped(shop, client_for):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    refused = buyer.post(CONTINUE, {"package": "basic", "extra": ["express"]})
    assert refused.status_code == 302 and refused["Location"].startswith(PAGE)
    chooser = _chooser(_text(buyer.get(PAGE)))
    assert 'data-error-field="extra_ids"' in chooser
    with schema_context(shop.tenant.schema_name):
        assert not GigQuote.objects.exists()
