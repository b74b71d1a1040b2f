"""The operator's PayPal page: the marketplace's own PayPal app, its secret encrypted at rest
and never shown back, PayPal offered at checkout only once it is complete and on; nobody but
a signed-in operator reaches the page, and one marketplace's app is not another's."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.payments.models import PayPalAccount
from core.payments.providers import checkout_providers
from tests.backoffice_helpers import assert_refused, operator, refusals
from tests.commerce_helpers import make_shop

PATH = "/operator/paypal/"
pytest_plugins = ["tests.paypal_fixtures"]


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def test_an_operator_sets_up_paypal_and_checkout_offers_it(shop, client_for, paypal):
    client = operator(client_for, shop.tenant)
    client_id, secret = paypal.add_app()

    answer = client.post(
        PATH,
        {
            "is_enabled": "on",
            "client_id": client_id,
            "client_secret": secret,
            "webhook_id": "WH-1234567890",
        },
    )

    assert answer.status_code == 302
    with schema_context(shop.tenant.schema_name):
        stored = PayPalAccount.objects.get()
        assert stored.is_enabled and not stored.is_live
        assert secret not in stored.client_secret_encrypted
        assert checkout_providers() == ("sandbox", "paypal")
    page = client.get(PATH).content.decode()
    assert secret not in page and client_id in page
    assert "/api/v1/payments/paypal/webhook" in page


def test_paypal_cannot_be_turned_on_without_its_webhook_id(shop, client_for, paypal):
    client = operator(client_for, shop.tenant)
    client_id, secret = paypal.add_app()

    answer = client.post(
        PATH, {"is_enabled": "on", "client_id": client_id, "client_secret": secret}
    )

    assert answer.status_code == 200
    assert "webhook id before it can be on" in answer.content.decode()
    with schema_context(shop.tenant.schema_name):
        assert PayPalAccount.objects.count() == 0
        assert checkout_providers() == ("sandbox",)


def test_only_operators_reach_the_paypal_page(shop, client_for):
    assert_refused(refusals(client_for, shop.tenant, shop, PATH), PATH)


def test_one_marketplaces_paypal_app_is_not_anothers(shop, tenant_b, client_for, paypal):
    client_id, secret = paypal.add_app()
    operator(client_for, shop.tenant).post(
        PATH,
        {"is_enabled": "on", "client_id": client_id, "client_secret": secret, "webhook_id": "WH1"},
    )

    with schema_context(tenant_b.schema_name):
        assert PayPalAccount.objects.count() == 0
        assert checkout_providers() == ("sandbox",)
    assert client_id not in operator(client_for, tenant_b).get(PATH).content.decode()
