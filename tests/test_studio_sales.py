"""The studio's orders (``/studio/orders/``): the queue puts what waits for the seller first,
the order page shows lines, buyer, delivery and history, refunds move money through the ledger
exactly once however often the form is sent, a stuck delivery can be restarted; a teammate
without process_orders gets 403, another seller's order 404, another marketplace nothing; the
old ``/seller/orders/`` addresses redirect here. The helpers at the top serve the other
``test_studio_sales_*`` files too."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.commerce.models import LineStatus, OrderLine, OrderStatus, Refund, SubOrder
from core.payments import ledger
from core.payments.models import JournalEntry
from core.payments.providers.sandbox import DECLINED_CARD
from core.sellers.models import Seller, TeamMember, TeamPermission
from tests.accounts_helpers import PASSWORD, make_user
from tests.catalog_helpers import make_product, make_seller
from tests.commerce_helpers import (
    Shop,
    account_balance,
    add,
    bearer_client,
    checkout,
    ledger_totals,
    make_shop,
)

# --- helpers shared by the test_studio_sales_* files -----------------------------------------


def text(response: Any) -> str:
    return response.content.decode()


def signed_in(client: Client, email: str) -> Client:
    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, text(response)
    return client


def seller_client(client_for: Any, shop: Shop, seller: Seller | None = None) -> Client:
    return signed_in(client_for(shop.tenant), (seller or shop.seller_one).owner.email)


def teammate(client_for: Any, shop: Shop, email: str, permissions: list[str]) -> Client:
    user = make_user(shop.tenant, email)
    with schema_context(shop.tenant.schema_name):
        TeamMember.objects.create(seller=shop.seller_one, user=user, permissions=permissions)
    return signed_in(client_for(shop.tenant), email)


def buy(
    client_for: Any,
    shop: Shop,
    *products: Any,
    buyer: Any = None,
    capture: Any = None,
) -> dict[str, Any]:
    """A paid order. With ``capture`` (django_capture_on_commit_callbacks) its lines are
    delivered; without, they stay paid and being fulfilled (the task never ran)."""
    client = bearer_client(client_for, shop.tenant, buyer or shop.buyer)
    for product in products:
        assert add(client, product).status_code in (200, 201)
    if capture is None:
        response = checkout(client)
    else:
        with capture(execute=True):
            response = checkout(client)
    assert response.status_code == 201, response.content
    order: dict[str, Any] = response.json()
    return order


def sub_order_of(shop: Shop, order_id: int, seller: Seller | None = None) -> SubOrder:
    with schema_context(shop.tenant.schema_name):
        return SubOrder.objects.get(order_id=order_id, seller=seller or shop.seller_one)


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


# --- the queue -------------------------------------------------------------------------------


def _queue_ids(html: str) -> list[int]:
    return [
        int(found) for found in re.findall(r'<tr class="status-\w+" data-sub-order="(\d+)"', html)
    ]


def test_queue_shows_orders_waiting_for_delivery_first_and_only_the_sellers_own(
    client_for, shop, django_capture_on_commit_callbacks
):
    done = buy(client_for, shop, shop.editor, capture=django_capture_on_commit_callbacks)
    waiting = buy(client_for, shop, shop.editor, shop.scanner)
    done_sub, waiting_sub = sub_order_of(shop, done["id"]), sub_order_of(shop, waiting["id"])
    bolt_sub = sub_order_of(shop, waiting["id"], shop.seller_two)
    client = seller_client(client_for, shop)

    action = text(client.get("/studio/orders/"))
    everything = text(client.get("/studio/orders/?view=all"))

    assert _queue_ids(action) == [waiting_sub.pk]
    assert _queue_ids(everything) == [waiting_sub.pk, done_sub.pk]
    assert f"/studio/orders/{bolt_sub.pk}/" not in everything
    assert 'href="/studio/orders/" aria-current="page">Orders</a>' in action
    assert 'aria-current="page">Needs action <span class="count">1</span>' in action
    assert 'All orders <span class="count">2</span>' in action
    assert (
        "Not delivered yet" in action and "Swift Editor" not in action
    )  # titles are on the order page


def test_queue_filters_by_status_and_finds_an_order_by_number_or_buyer(
    client_for, shop, django_capture_on_commit_callbacks
):
    done = buy(client_for, shop, shop.editor, capture=django_capture_on_commit_callbacks)
    other_buyer = make_user(shop.tenant, "zed@example.com", full_name="Zed Zebra")
    waiting = buy(client_for, shop, shop.editor, buyer=other_buyer)
    done_sub, waiting_sub = sub_order_of(shop, done["id"]), sub_order_of(shop, waiting["id"])
    client = seller_client(client_for, shop)

    completed = text(client.get("/studio/orders/?view=all&status=completed"))
    by_number = text(client.get(f"/studio/orders/?view=all&q=%23{done['id']}"))
    by_name = text(client.get("/studio/orders/?view=all&q=zebra"))

    assert _queue_ids(completed) == [done_sub.pk]
    assert _queue_ids(by_number) == [done_sub.pk]
    assert _queue_ids(by_name) == [waiting_sub.pk]
    assert client.get("/studio/orders/?status=nonsense").status_code == 200
    form = text(client.get("/studio/orders/"))  # from "Needs action", a search looks everywhere
    assert '<input type="hidden" name="view" value="all">' in form


def test_queue_takes_the_same_queries_however_many_orders(client_for, shop):
    client = seller_client(client_for, shop)

    def queries() -> int:
        with CaptureQueriesContext(connection) as run:
            assert client.get("/studio/orders/?view=all").status_code == 200
        return len(run)

    buy(client_for, shop, shop.editor)
    queries()  # warm: per-tenant settings and caches filled once
    one = queries()
    for _ in range(4):
        buy(client_for, shop, shop.editor)
    assert queries() == one
    assert one <= 14


# --- the order page --------------------------------------------------------------------------


def test_order_page_shows_lines_buyer_share_and_history_and_another_sellers_is_not_found(
    client_for, shop, django_capture_on_commit_callbacks
):
    order = buy(
        client_for, shop, shop.editor, shop.scanner, capture=django_capture_on_commit_callbacks
    )
    acme_sub = sub_order_of(shop, order["id"])
    bolt_sub = sub_order_of(shop, order["id"], shop.seller_two)
    client = seller_client(client_for, shop)

    html = text(client.get(f"/studio/orders/{acme_sub.pk}/"))

    assert f"Order #{order['id']}" in html
    assert "Swift Editor" in html and "Secure Scanner" not in html
    assert '<td class="money" data-seller-net>18.00 USD</td>' in html  # 20.00 less 10 %
    assert "buyer@example.com" in html
    assert f'href="/studio/customers/{shop.buyer.pk}/"' in html
    assert "<strong>Completed</strong>" in html  # history reads forwards: the new status first
    assert client.get(f"/studio/orders/{bolt_sub.pk}/").status_code == 404
    assert client.post(f"/studio/orders/{bolt_sub.pk}/refund/", {}).status_code == 404
    assert client.post(f"/studio/orders/{bolt_sub.pk}/fulfil/").status_code == 404


def test_orders_need_process_orders_and_the_buyers_link_needs_manage_customers(
    client_for, shop, django_capture_on_commit_callbacks
):
    order = buy(client_for, shop, shop.editor, capture=django_capture_on_commit_callbacks)
    sub = sub_order_of(shop, order["id"])
    packer = teammate(client_for, shop, "packer@example.com", [TeamPermission.MANAGE_PRODUCTS])
    clerk = teammate(client_for, shop, "clerk@example.com", [TeamPermission.PROCESS_ORDERS])

    refused = packer.get("/studio/orders/")

    assert refused.status_code == 403 and "Orders needs the team permission" in text(refused)
    assert packer.get(f"/studio/orders/{sub.pk}/").status_code == 403
    assert packer.post(f"/studio/orders/{sub.pk}/refund/", {}).status_code == 403
    page = clerk.get(f"/studio/orders/{sub.pk}/")
    assert page.status_code == 200
    assert "/studio/customers/" not in text(page)  # the clerk may not open customers
    buyer = signed_in(client_for(shop.tenant), shop.buyer.email)
    assert buyer.get("/studio/orders/").status_code == 403
    anonymous = client_for(shop.tenant).get("/studio/orders/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


def test_another_marketplace_sees_none_of_the_orders(client_for, shop, tenant_b):
    order = buy(client_for, shop, shop.editor)
    sub = sub_order_of(shop, order["id"])
    make_seller(tenant_b, "acme", "Acme on B")
    on_b = signed_in(client_for(tenant_b), shop.seller_one.owner.email)

    assert _queue_ids(text(on_b.get("/studio/orders/?view=all"))) == []
    assert on_b.get(f"/studio/orders/{sub.pk}/").status_code == 404
    # Tenant A's session means nothing on tenant B's host.
    client = seller_client(client_for, shop)
    client.defaults["HTTP_HOST"] = on_b.defaults["HTTP_HOST"]
    assert client.get("/studio/orders/").status_code == 302


# --- actions ---------------------------------------------------------------------------------


def _refund_form(html: str) -> dict[str, str]:
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert key is not None
    return {"idempotency_key": key.group(1)}


def test_refund_twice_submitted_moves_money_through_the_ledger_once(
    client_for, shop, django_capture_on_commit_callbacks
):
    order = buy(client_for, shop, shop.editor, capture=django_capture_on_commit_callbacks)
    sub = sub_order_of(shop, order["id"])
    line_id = order["lines"][0]["id"]
    client = seller_client(client_for, shop)
    payable = ledger.seller_payable(shop.seller_one.pk)
    assert account_balance(shop.tenant, payable) == -1800
    form = _refund_form(text(client.get(f"/studio/orders/{sub.pk}/")))
    form |= {f"line_{line_id}": "on", f"amount_{line_id}": "5.00", "reason": "late delivery"}

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(f"/studio/orders/{sub.pk}/refund/", form)
        again = client.post(f"/studio/orders/{sub.pk}/refund/", form)

    assert first.status_code == again.status_code == 302
    with schema_context(shop.tenant.schema_name):
        assert Refund.objects.filter(order_id=order["id"]).count() == 1
        assert JournalEntry.objects.filter(kind="refund").count() == 1
        assert OrderLine.objects.get(pk=line_id).refunded_amount == 500
    # 5.00 of 20.00 at 10 % commission: 4.50 comes off the seller's share.
    assert account_balance(shop.tenant, payable) == -(1800 - 450)
    assert ledger_totals(shop.tenant) == {"USD": 0}
    page = text(client.get(f"/studio/orders/{sub.pk}/"))
    assert "Refunded 5.00 USD." in page and "late delivery" in page
    assert '<td class="money">5.00 USD</td><td class="money">4.50 USD</td>' in page


def test_a_bad_refund_answers_field_errors_and_books_nothing(
    client_for, shop, django_capture_on_commit_callbacks
):
    order = buy(client_for, shop, shop.editor, capture=django_capture_on_commit_callbacks)
    sub = sub_order_of(shop, order["id"])
    line_id = order["lines"][0]["id"]
    client = seller_client(client_for, shop)
    form = _refund_form(text(client.get(f"/studio/orders/{sub.pk}/")))

    too_much = client.post(
        f"/studio/orders/{sub.pk}/refund/",
        form | {f"line_{line_id}": "on", f"amount_{line_id}": "25.00", "reason": "x"},
    )
    nothing = client.post(f"/studio/orders/{sub.pk}/refund/", form | {"reason": "x"})
    no_reason = client.post(f"/studio/orders/{sub.pk}/refund/", form | {f"line_{line_id}": "on"})

    assert too_much.status_code == nothing.status_code == no_reason.status_code == 200
    assert "Between 0 and 20.00 USD." in text(too_much)
    assert "Choose the lines to refund." in text(nothing)
    assert "This field is required." in text(no_reason)
    with schema_context(shop.tenant.schema_name):
        assert not Refund.objects.exists()
        assert not JournalEntry.objects.filter(kind="refund").exists()


def test_restarting_delivery_hands_the_stuck_lines_to_their_module(
    client_for, shop, django_capture_on_commit_callbacks
):
    order = buy(client_for, shop, shop.editor)  # the fulfilment task never ran
    sub = sub_order_of(shop, order["id"])
    client = seller_client(client_for, shop)
    page = text(client.get(f"/studio/orders/{sub.pk}/"))
    assert "Restart delivery" in page and "Next step:</strong> Not delivered yet" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/studio/orders/{sub.pk}/fulfil/")

    assert response.status_code == 302
    with schema_context(shop.tenant.schema_name):
        line = OrderLine.objects.get(pk=order["lines"][0]["id"])
        assert line.status == LineStatus.COMPLETED
        assert SubOrder.objects.get(pk=sub.pk).status == OrderStatus.COMPLETED
    assert "Restart delivery" not in text(client.get(f"/studio/orders/{sub.pk}/"))


def test_service_orders_held_in_escrow_have_their_own_tab(
    client_for, tenant_b, django_capture_on_commit_callbacks
):
    sage = make_seller(tenant_b, "sage", "Sage Advice", product_types=("software", "service"))
    audit = make_product(tenant_b, sage, "Security Audit", price=10_000, product_type="service")
    buyer = make_user(tenant_b, "buyer@example.com")
    shop = Shop(tenant_b, sage, sage, audit, audit, buyer)
    order = buy(client_for, shop, audit, capture=django_capture_on_commit_callbacks)
    sub = sub_order_of(shop, order["id"], sage)
    client = seller_client(client_for, shop)

    escrow = text(client.get("/studio/orders/?view=escrow"))
    detail = text(client.get(f"/studio/orders/{sub.pk}/"))

    assert _queue_ids(escrow) == [sub.pk]
    assert "Deliver; paid when the buyer accepts" in escrow
    assert "<span data-escrow>90.00 USD</span>" in detail


def test_an_unpaid_order_offers_no_refund(client_for, shop):
    client = bearer_client(client_for, shop.tenant, shop.buyer)
    add(client, shop.editor)
    declined = checkout(client, card=DECLINED_CARD)
    with schema_context(shop.tenant.schema_name):
        sub = SubOrder.objects.get(seller=shop.seller_one)
        assert sub.status == OrderStatus.PENDING_PAYMENT, declined.content
    page = text(seller_client(client_for, shop).get(f"/studio/orders/{sub.pk}/"))
    assert "Waiting for the buyer&#x27;s payment" in page
    assert 'id="refund-heading"' not in page and "Restart delivery" not in page


def test_the_old_seller_order_addresses_redirect_to_the_studio_for_good(client_for, shop):
    order = buy(client_for, shop, shop.editor)
    sub = sub_order_of(shop, order["id"])
    client = seller_client(client_for, shop)

    listing = client.get("/seller/orders/?page=2")
    detail = client.get(f"/seller/orders/{sub.pk}/")

    assert (listing.status_code, listing["Location"]) == (301, "/studio/orders/?page=2")
    assert (detail.status_code, detail["Location"]) == (301, f"/studio/orders/{sub.pk}/")
