"""A seller's public profile counts their completed orders from the orders themselves (the
stored counter was never updated, so every seller said "0 completed orders"); the API's
public profile says the same."""

from __future__ import annotations

from django_tenants.utils import schema_context

from core.commerce.seller_profiles import completed_order_count
from modules.licensing.tests.helpers import buy, make_licensing_shop, make_licensing_tenant


def test_seller_page_counts_completed_orders(
    client_for, make_tenant, django_capture_on_commit_callbacks
):
    shop = make_licensing_shop(make_licensing_tenant(make_tenant))
    guest = client_for(shop.tenant)
    assert "0 completed orders" in guest.get("/s/acme/").content.decode()

    buy(client_for, shop, django_capture_on_commit_callbacks)
    buy(client_for, shop, django_capture_on_commit_callbacks, buyer=shop.other_buyer)
    buy(client_for, shop, django_capture_on_commit_callbacks, product=shop.other_product)

    assert "2 completed orders" in guest.get("/s/acme/").content.decode()
    assert "1 completed order " in guest.get("/s/bolt/").content.decode()
    api = guest.get("/api/v1/sellers/acme")
    assert api.status_code == 200 and api.json()["completed_orders"] == 2


def test_orders_not_yet_completed_do_not_count(client_for, make_tenant):
    shop = make_licensing_shop(make_licensing_tenant(make_tenant))
    with schema_context(shop.tenant.schema_name):
        assert completed_order_count(shop.seller) == 0
