"""Product types belong to modules: a type declared only in a test module's manifest
(tests/testmodules/beta: "widget", escrowed by default) is granted, listed, bought and held in
escrow with no core edit; it is refused where its module is off; the operator's escrow choice
overrides the manifest's default and can be dropped again."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.catalog.models import Product
from core.payments import ledger
from core.sellers.models import Seller
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import call, sign_in, signed_in_operator
from tests.catalog_helpers import make_seller
from tests.commerce_helpers import (
    account_balance,
    add,
    bearer_client,
    checkout,
    ledger_totals,
    make_shop,
)

WIDGET = {"name": "Brass Widget", "product_type": "widget", "prices": {"USD": 5000}}


def signed_in_seller(client_for, tenant, seller):
    client = client_for(tenant)
    assert sign_in(client, seller.owner.email).json()["status"] == "signed_in"
    return client


def grant(client_for, tenant, seller, *types):
    operator, _ = signed_in_operator(client_for, tenant)
    return call(
        operator, "put", f"/operator/sellers/{seller.pk}/product-types", {"product_types": types}
    )


def listed_widget(client_for, tenant, seller):
    """The seller lists a widget through the API and the operator approves it."""
    maker = signed_in_seller(client_for, tenant, seller)
    created = call(maker, "post", "/seller/products", WIDGET)
    assert created.status_code == 201, created.content
    product_id = created.json()["id"]
    assert call(maker, "post", f"/seller/products/{product_id}/publish").status_code == 200
    operator, _ = signed_in_operator(client_for, tenant)
    approved = call(operator, "post", f"/operator/catalog/products/{product_id}/approve")
    assert approved.json()["status"] == "published"
    with schema_context(tenant.schema_name):
        return Product.objects.get(pk=product_id)


def bought(client_for, capture, shop, *products):
    client = bearer_client(client_for, shop.tenant, shop.buyer)
    for product in products:
        assert add(client, product).status_code == 200
    with capture(execute=True):
        response = checkout(client)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def widget_shop(tenant_b, client_for):
    """tenant_b runs alpha and beta; a seller granted "widget" by the operator."""
    shop = make_shop(tenant_b)
    shop.gizmo = make_seller(tenant_b, "gizmo", "Gizmo Works", product_types=())
    granted = grant(client_for, tenant_b, shop.gizmo, "widget")
    assert (granted.status_code, granted.json()["can_sell"]) == (200, ["widget"])
    shop.widget = listed_widget(client_for, tenant_b, shop.gizmo)
    return shop


def test_a_type_declared_only_in_a_module_manifest_is_sold_and_held_in_escrow(
    widget_shop, client_for, django_capture_on_commit_callbacks
):
    shop = widget_shop
    buyer = client_for(shop.tenant)
    found = call(buyer, "get", "/catalog?type=widget&facets=true").json()
    assert [item["name"] for item in found["items"]] == ["Brass Widget"]
    assert [(f["value"], f["label"], f["count"]) for f in found["facets"]["product_types"]] == [
        ("widget", "Widgets", 1)
    ]

    order = bought(client_for, django_capture_on_commit_callbacks, shop, shop.widget, shop.editor)

    lines = {line["product_id"]: line for line in order["lines"]}
    widget_line, editor_line = lines[shop.widget.pk], lines[shop.editor.pk]
    # Beta's manifest says widgets are escrowed by default; software (alpha) is not.
    assert (widget_line["is_escrow"], editor_line["is_escrow"]) == (True, False)
    held = account_balance(shop.tenant, ledger.escrow(widget_line["id"]))
    with schema_context(shop.tenant.schema_name):
        from core.commerce.models import OrderLine

        seller_net = OrderLine.objects.get(pk=widget_line["id"]).seller_net
    assert held == -seller_net and seller_net > 0
    assert account_balance(shop.tenant, ledger.seller_payable(shop.gizmo.pk)) == 0
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_the_operators_escrow_choice_overrides_the_manifest_until_dropped(
    widget_shop, client_for, django_capture_on_commit_callbacks
):
    shop = widget_shop
    operator, _ = signed_in_operator(client_for, shop.tenant)
    defaults = call(operator, "get", "/operator/commerce/settings").json()
    assert (defaults["escrow_product_types"], defaults["is_escrow_overridden"]) == (
        ["consult", "gig", "service", "widget"],
        False,
    )

    chosen = call(
        operator, "patch", "/operator/commerce/settings", {"escrow_product_types": ["service"]}
    ).json()
    assert (chosen["escrow_product_types"], chosen["is_escrow_overridden"]) == (["service"], True)
    untouched = call(operator, "patch", "/operator/commerce/settings", {"minimum_payout": 500})
    assert untouched.json()["escrow_product_types"] == ["service"]
    order = bought(client_for, django_capture_on_commit_callbacks, shop, shop.widget)
    line = order["lines"][0]
    assert line["is_escrow"] is False
    assert account_balance(shop.tenant, ledger.escrow(line["id"])) == 0

    dropped = call(
        operator, "patch", "/operator/commerce/settings", {"escrow_product_types": None}
    ).json()
    assert (dropped["escrow_product_types"], dropped["is_escrow_overridden"]) == (
        ["consult", "gig", "service", "widget"],
        False,
    )
    again = bought(client_for, django_capture_on_commit_callbacks, shop, shop.widget)
    assert again["lines"][0]["is_escrow"] is True

    unknown = call(
        operator, "patch", "/operator/commerce/settings", {"escrow_product_types": ["gizmo"]}
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"]["field"] == "escrow_product_types"


def test_a_type_whose_module_is_off_is_refused_everywhere(tenant_a, widget_shop, client_for):
    shop = widget_shop
    # tenant_a runs alpha only: beta's widget can be neither granted nor listed there.
    elsewhere = make_seller(tenant_a, "gizmo", "Gizmo Elsewhere", product_types=("widget",))
    refused_grant = grant(client_for, tenant_a, elsewhere, "widget")
    assert refused_grant.status_code == 422
    assert refused_grant.json()["error"]["details"]["unavailable"] == ["widget"]
    refused_listing = call(
        signed_in_seller(client_for, tenant_a, elsewhere), "post", "/seller/products", WIDGET
    )
    assert refused_listing.status_code == 403
    assert refused_listing.json()["error"]["code"] == "product_type_not_allowed"
    assert refused_listing.json()["error"]["details"]["field"] == "product_type"

    # Beta switched off where the widget was listed: it leaves the catalogue and the cart.
    set_module_enabled(tenant=shop.tenant, key="beta", is_enabled=False)
    buyer = bearer_client(client_for, shop.tenant, shop.buyer)
    assert call(buyer, "get", "/catalog?type=widget").json()["items"] == []
    not_for_sale = add(buyer, shop.widget)
    assert (not_for_sale.status_code, not_for_sale.json()["error"]["code"]) == (
        422,
        "not_purchasable",
    )
    maker = signed_in_seller(client_for, shop.tenant, shop.gizmo)
    assert call(maker, "post", "/seller/products", WIDGET).status_code == 403
    with schema_context(shop.tenant.schema_name):
        assert list(
            Product.objects.values_list("name", flat=True).filter(product_type="widget")
        ) == ["Brass Widget"]
    with schema_context(tenant_a.schema_name):
        assert not Product.objects.filter(seller=elsewhere).exists()
        assert Seller.objects.get(pk=elsewhere.pk).can_sell == {"widget"}  # grant kept, unused


def test_a_type_no_module_declares_is_invalid_input(client_for, tenant_a):
    seller = make_seller(tenant_a, "acme")
    client = signed_in_seller(client_for, tenant_a, seller)
    response = call(client, "post", "/seller/products", {**WIDGET, "product_type": "gizmo"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["details"]["field"]) == ("invalid_product", "product_type")
    with schema_context(tenant_a.schema_name):
        assert not Product.objects.exists()
