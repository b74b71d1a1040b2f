"""A gig's listing: packages, extras, requirements questions and FAQ set through the seller
API, validated with field-named errors in the one envelope; read by anyone; another seller's
gig is not found; where the module is off the routes are gone."""

from __future__ import annotations

from django_tenants.utils import schema_context

from modules.gigs.models import GigPackage
from modules.gigs.tests.helpers import (
    make_gig_shop,
    make_gigs_tenant,
    seller_client,
    signed_in,
)
from tests.accounts_helpers import call

PACKAGES = {
    "packages": [
        {
            "tier": "premium",
            "title": "All in",
            "price": 30000,
            "delivery_days": 10,
            "revisions": None,
            "features": ["Everything"],
            "checklist": ["Brand guide PDF"],
        },
        {"tier": "basic", "title": "Starter", "price": 9000, "delivery_days": 4, "revisions": 0},
    ]
}


def test_a_seller_sets_packages_extras_questions_and_faq_and_buyers_read_them(shop, client_for):
    seller = seller_client(client_for, shop.tenant, shop.seller)
    base = f"/gigs/seller/gigs/{shop.gig.pk}"

    response = call(seller, "put", f"{base}/packages", PACKAGES)
    assert response.status_code == 200, response.content
    assert [(p["tier"], p["price"], p["revisions"]) for p in response.json()["packages"]] == [
        ("basic", 9000, 0),
        ("premium", 30000, None),
    ]
    extras = {
        "extras": [
            {"kind": "fast_delivery", "title": "Rush", "price": 4000, "days": 3},
            {"kind": "custom", "title": "Favicon", "price": 500, "days": 1},
        ]
    }
    assert call(seller, "put", f"{base}/extras", extras).status_code == 200
    questions = {
        "questions": [
            {"kind": "text", "prompt": "Company?"},
            {
                "kind": "choice",
                "prompt": "Tone?",
                "choices": ["Calm", "Bold"],
                "is_required": False,
            },
            {"kind": "file", "prompt": "Brief"},
        ]
    }
    assert call(seller, "put", f"{base}/questions", questions).status_code == 200
    faq = {"faq": [{"question": "Refunds?", "answer": "Before the work starts."}]}
    assert call(seller, "put", f"{base}/faq", faq).status_code == 200

    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    listing = call(buyer, "get", f"/gigs/listings/{shop.gig.pk}").json()
    assert [p["title"] for p in listing["packages"]] == ["Starter", "All in"]
    assert [(e["kind"], e["days"]) for e in listing["extras"]] == [
        ("fast_delivery", 3),
        ("custom", 1),
    ]
    assert [(q["kind"], q["is_required"]) for q in listing["questions"]] == [
        ("text", True),
        ("choice", False),
        ("file", True),
    ]
    assert listing["faq"] == [{"question": "Refunds?", "answer": "Before the work starts."}]


def test_bad_listing_input_is_refused_naming_the_field(shop, client_for):
    seller = seller_client(client_for, shop.tenant, shop.seller)
    base = f"/gigs/seller/gigs/{shop.gig.pk}"
    cases = [
        ("packages", {"packages": []}, "invalid_packages", "packages"),
        (
            "packages",
            {"packages": [{**PACKAGES["packages"][1], "price": 0}]},
            "invalid_packages",
            "packages[0].price",
        ),
        (
            "packages",
            {"packages": [PACKAGES["packages"][1], PACKAGES["packages"][1]]},
            "invalid_packages",
            "packages",
        ),
        (
            "packages",
            {"packages": [{**PACKAGES["packages"][1], "tier": "gold"}]},
            "invalid_packages",
            "packages[0].tier",
        ),
        (
            "packages",
            {"packages": [{**PACKAGES["packages"][1], "delivery_days": 0}]},
            "invalid_packages",
            "packages[0].delivery_days",
        ),
        (
            "extras",
            {"extras": [{"kind": "fast_delivery", "title": "Rush", "price": 100, "days": 0}]},
            "invalid_extras",
            "extras[0].days",
        ),
        (
            "questions",
            {"questions": [{"kind": "choice", "prompt": "Tone?", "choices": ["Only"]}]},
            "invalid_questions",
            "questions[0].choices",
        ),
        ("faq", {"faq": [{"question": "Why?", "answer": "  "}]}, "invalid_faq", "faq[0].answer"),
    ]
    for part, body, code, field in cases:
        response = call(seller, "put", f"{base}/{part}", body)
        assert response.status_code == 422, (part, body, response.content)
        error = response.json()["error"]
        assert (error["code"], error["details"]["field"]) == (code, field), body
    with schema_context(shop.tenant.schema_name):
        # Nothing was replaced by a refused set.
        assert list(GigPackage.objects.filter(product=shop.gig).values_list("tier", flat=True)) == [
            "basic",
            "standard",
            "premium",
        ]


def test_another_sellers_gig_is_not_found(shop, client_for):
    other = seller_client(client_for, shop.tenant, shop.other_seller)
    base = f"/gigs/seller/gigs/{shop.gig.pk}"
    assert call(other, "get", base).status_code == 404
    response = call(other, "put", f"{base}/packages", PACKAGES)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "gig_not_found"
    with schema_context(shop.tenant.schema_name):
        assert GigPackage.objects.filter(product=shop.gig).count() == 3


def test_a_buyer_is_refused_the_seller_api(shop, client_for):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    response = call(buyer, "put", f"/gigs/seller/gigs/{shop.gig.pk}/packages", PACKAGES)
    assert response.status_code in (403, 404)
    with schema_context(shop.tenant.schema_name):
        assert GigPackage.objects.filter(product=shop.gig).count() == 3


def test_gigs_are_invisible_from_another_marketplace_and_gone_where_the_module_is_off(
    shop, make_tenant, client_for
):
    other = make_gig_shop(make_gigs_tenant(make_tenant, "other-gig-market"))
    off = make_tenant("no-gigs-market", modules=[]).tenant
    from tests.accounts_helpers import make_user

    make_user(off, "buyer@example.com")
    buyer_other = signed_in(client_for, other.tenant, other.buyer)
    seller_other = seller_client(client_for, other.tenant, other.seller)
    # The first marketplace's gig id does not reach the second one's gig (ids may clash:
    # look one past the second's own ids).
    missing = max(shop.gig.pk, other.gig.pk, other.other_gig.pk) + 1
    assert call(buyer_other, "get", f"/gigs/listings/{missing}").status_code == 404
    assert call(seller_other, "get", f"/gigs/seller/gigs/{missing}").status_code == 404

    buyer_off = client_for(off)
    assert call(buyer_off, "post", "/auth/login", {"email": "buyer@example.com", "password": "x"})
    assert call(buyer_off, "get", f"/gigs/listings/{shop.gig.pk}").status_code == 404
    assert call(buyer_off, "get", "/gigs/orders").status_code == 404
