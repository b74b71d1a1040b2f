"""The studio's payouts (``/studio/payouts/``, the owner's alone): the balance is the ledger's,
connecting the payout account (the sandbox's hand-off comes straight back), the schedule,
paying out once however often the form is sent, disconnecting (refused while a payout is on
its way), field errors that pay nothing, and nobody else's money in view."""

from __future__ import annotations

import json
import re

import pytest
from django_tenants.utils import schema_context

from core.payments import ledger
from core.payments.models import Payout, PayoutSchedule, PayoutStatus, SellerPaymentAccount
from core.sellers.models import TeamPermission
from tests.catalog_helpers import make_seller
from tests.commerce_helpers import account_balance, ledger_totals, make_shop
from tests.test_studio_sales import buy, seller_client, signed_in, teammate, text


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def _key(html: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert found is not None, "the payout form carries an idempotency key"
    return found.group(1)


def _chart_values(html: str) -> list[int]:
    found = re.search(
        r'<script id="chart-available-balance-data" type="application/json">(.*?)</script>', html
    )
    assert found is not None
    values: list[int] = json.loads(found.group(1))["series"][0]["values"]
    return values


def test_balance_and_chart_are_the_ledgers_and_the_account_can_be_connected(
    client_for, shop, django_capture_on_commit_callbacks
):
    buy(client_for, shop, shop.editor, capture=django_capture_on_commit_callbacks)
    client = seller_client(client_for, shop)

    before = text(client.get("/studio/payouts/"))
    connected = client.post("/studio/payouts/connect/")
    after = text(client.get("/studio/payouts/"))

    assert (
        'data-balance="available"><span class="kpi-label">Available to pay out</span><span class="kpi-value money">18.00 USD</span>'
        in before
    )
    assert (
        _chart_values(before)[-1]
        == 1800
        == -account_balance(shop.tenant, ledger.seller_payable(shop.seller_one.pk))
    )
    assert "Connect payout account" in before and "Pay out now" in before
    assert (connected.status_code, connected["Location"]) == (302, "/studio/payouts/")
    assert "Connected" in after and "Disconnect account" in after
    with schema_context(shop.tenant.schema_name):
        account = SellerPaymentAccount.objects.get(seller=shop.seller_one)
        assert account.reference and account.is_payouts_enabled


def test_paying_out_twice_with_one_form_pays_once_and_empties_the_balance(
    client_for, shop, django_capture_on_commit_callbacks
):
    buy(client_for, shop, shop.editor, capture=django_capture_on_commit_callbacks)
    client = seller_client(client_for, shop)
    client.post("/studio/payouts/connect/")
    form = {
        "currency": "USD",
        "amount": "",
        "idempotency_key": _key(text(client.get("/studio/payouts/"))),
    }

    first = client.post("/studio/payouts/pay-out/", form)
    again = client.post("/studio/payouts/pay-out/", form)

    assert first.status_code == again.status_code == 302
    with schema_context(shop.tenant.schema_name):
        payout = Payout.objects.get()
        assert (payout.amount, payout.status) == (1800, PayoutStatus.PAID)
    assert account_balance(shop.tenant, ledger.seller_payable(shop.seller_one.pk)) == 0
    assert ledger_totals(shop.tenant) == {"USD": 0}
    page = text(client.get("/studio/payouts/"))
    assert f'<tr data-payout="{payout.pk}">' in page and "18.00 USD" in page
    assert "Nothing is available to pay out yet." in page


def test_bad_payout_input_answers_field_errors_and_pays_nothing(
    client_for, shop, django_capture_on_commit_callbacks
):
    buy(client_for, shop, shop.editor, capture=django_capture_on_commit_callbacks)
    client = seller_client(client_for, shop)
    client.post("/studio/payouts/connect/")
    key = _key(text(client.get("/studio/payouts/")))

    not_money = client.post(
        "/studio/payouts/pay-out/", {"currency": "USD", "amount": "lots", "idempotency_key": key}
    )
    too_much = client.post(
        "/studio/payouts/pay-out/", {"currency": "USD", "amount": "99.00", "idempotency_key": key}
    )
    no_currency = client.post(
        "/studio/payouts/pay-out/", {"currency": "EUR", "amount": "", "idempotency_key": key}
    )

    assert not_money.status_code == too_much.status_code == no_currency.status_code == 200
    assert "Enter an amount in USD." in text(not_money)
    assert "18.00 USD is available to pay out." in text(too_much)
    assert "Select a valid choice." in text(no_currency)
    with schema_context(shop.tenant.schema_name):
        assert not Payout.objects.exists()
    assert account_balance(shop.tenant, ledger.seller_payable(shop.seller_one.pk)) == -1800


def test_schedule_and_disconnect_and_no_disconnect_while_a_payout_is_on_its_way(
    client_for, shop, django_capture_on_commit_callbacks
):
    client = seller_client(client_for, shop)
    assert client.post("/studio/payouts/schedule/", {"schedule": "monthly"}).status_code == 200
    client.post("/studio/payouts/connect/")

    monthly = client.post("/studio/payouts/schedule/", {"schedule": "monthly"})
    nonsense = client.post("/studio/payouts/schedule/", {"schedule": "daily"})
    with schema_context(shop.tenant.schema_name):
        in_flight = Payout.objects.create(
            seller=shop.seller_one,
            currency="USD",
            amount=100,
            provider="sandbox",
            run_key="manual:x",
        )
    refused = client.post("/studio/payouts/disconnect/")
    with schema_context(shop.tenant.schema_name):
        Payout.objects.filter(pk=in_flight.pk).update(status=PayoutStatus.PAID)
    disconnected = client.post("/studio/payouts/disconnect/")

    assert monthly.status_code == 302 and nonsense.status_code == 200
    assert "Select a valid choice." in text(nonsense)
    assert refused.status_code == 200 and "A payout is on its way" in text(refused)
    assert disconnected.status_code == 302
    with schema_context(shop.tenant.schema_name):
        account = SellerPaymentAccount.objects.get(seller=shop.seller_one)
        assert (account.reference, account.is_payouts_enabled) == ("", False)
        assert account.payout_schedule == PayoutSchedule.MONTHLY
    page = text(client.get("/studio/payouts/"))
    assert "Connect payout account" in page and "Connect a payout account first." in page


def test_payouts_are_the_owners_alone_and_another_marketplace_sees_none(
    client_for, shop, tenant_b, django_capture_on_commit_callbacks
):
    buy(client_for, shop, shop.editor, capture=django_capture_on_commit_callbacks)
    admin = teammate(
        client_for,
        shop,
        "admin@example.com",
        [TeamPermission.CONFIGURE_INTEGRATION, TeamPermission.PROCESS_ORDERS],
    )

    refused = admin.get("/studio/payouts/")

    assert refused.status_code == 403 and "Only the shop&#x27;s owner can open Payouts." in text(
        refused
    )
    for path in ("pay-out/", "schedule/", "connect/", "disconnect/"):
        assert admin.post(f"/studio/payouts/{path}", {"currency": "USD"}).status_code == 403
    make_seller(tenant_b, "acme", "Acme on B")
    on_b = signed_in(client_for(tenant_b), shop.seller_one.owner.email)
    page = text(on_b.get("/studio/payouts/"))
    assert "18.00 USD" not in page and "No payouts yet." in page
