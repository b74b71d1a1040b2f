"""The gig's step in the studio's product wizard: the packages, written through the listing
services (the questionnaire, extras and FAQ are the set-up page's, linked from the step and
left as they are); a bad price or no package is shown on the form and writes nothing."""

from __future__ import annotations

from django_tenants.utils import schema_context

from modules.gigs.models import GigPackage, GigQuestion
from modules.gigs.tests.helpers import seller_client

STEP = {
    "basic_is_offered": "on",
    "basic_title": "Quick logo",
    "basic_price": "39.50",
    "basic_delivery_days": "2",
    "basic_revisions": "1",
    "basic_features": "1 concept\nPNG",
    "basic_checklist": "PNG file",
    "premium_is_offered": "on",
    "premium_title": "Brand pack",
    "premium_price": "250",
    "premium_delivery_days": "10",
    "premium_revisions": "",
    "premium_features": "3 concepts",
    "premium_checklist": "SVG file\nBrand guide",
}


def _packages(shop):
    with schema_context(shop.tenant.schema_name):
        return list(
            GigPackage.objects.filter(product=shop.gig).values_list(
                "tier", "title", "price", "delivery_days", "revisions", "checklist"
            )
        )


def test_the_wizard_step_sets_packages_and_questions(shop, client_for):
    owner = seller_client(client_for, shop.tenant, shop.seller)
    path = f"/studio/products/{shop.gig.pk}/details/"
    page = owner.get(path)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Standard: price" in body
    assert f'href="/studio/gigs/setup/{shop.gig.pk}/"' in body  # extras, questions, FAQ
    assert 'value="100.00"' in body  # the standard package's price as set before

    saved = owner.post(path, STEP)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert _packages(shop) == [
        ("basic", "Quick logo", 3950, 2, 1, ["PNG file"]),
        ("premium", "Brand pack", 25000, 10, None, ["SVG file", "Brand guide"]),
    ]
    with schema_context(shop.tenant.schema_name):
        questions = list(GigQuestion.objects.filter(product=shop.gig).values_list("kind", "prompt"))
    # The questionnaire is the set-up page's: the step leaves it as it was.
    assert questions == [
        ("text", "Your brand name?"),
        ("choice", "Style?"),
        ("file", "Existing logo (a link)"),
    ]


def test_a_bad_step_is_shown_on_the_form_and_writes_nothing(shop, client_for):
    owner = seller_client(client_for, shop.tenant, shop.seller)
    path = f"/studio/products/{shop.gig.pk}/details/"
    before = _packages(shop)

    bad_price = owner.post(path, {**STEP, "premium_price": "2.505"})
    assert bad_price.status_code == 422
    assert "Give a price in USD." in bad_price.content.decode()
    no_days = owner.post(path, {**STEP, "basic_delivery_days": ""})
    assert no_days.status_code == 422
    assert "Delivery takes 1-365 days." in no_days.content.decode()
    nothing = owner.post(path, {"basic_title": "Nothing offered"})
    assert nothing.status_code == 422
    assert "Offer one to three packages." in nothing.content.decode()
    assert _packages(shop) == before
    other = seller_client(client_for, shop.tenant, shop.other_seller)
    assert other.get(path).status_code == 404
