"""The Stripe provider through the official library, against localstripe (payments) and a
local server playing Stripe's Connect endpoints (tests/stripe_fixtures.py). What is checked
is both the outcome and what went on the wire: amounts in minor units, lower-case currencies,
the transfer group, metadata, and the idempotency key of every money-moving call."""

from __future__ import annotations

import pytest
import stripe
from django_tenants.utils import schema_context

from core.errors import ErrorKind
from core.money import Money
from core.payments.errors import PaymentError, PaymentErrorCode
from core.payments.providers import ChargeRequest, ChargeStatus, get_provider
from core.payments.providers.stripe import (
    REVERSAL_METADATA_KEY,
    TENANT_METADATA_KEY,
    StripeProvider,
    _provider_error,
    charge_result,
)
from tests.stripe_fixtures import (
    CARD_DECLINED_ON_CHARGE,
    CARD_SUCCEEDS,
    CARD_THREE_D_SECURE,
    TEST_SECRET_KEY,
    StripeTestbed,
)

pytest_plugins = ["tests.stripe_fixtures"]

EUR_19_99 = Money(1999, "EUR")


def charge(testbed: StripeTestbed, card: str, key: str = "order-1-payment-1", **options):
    return testbed.provider.charge(
        ChargeRequest(
            amount=options.pop("amount", EUR_19_99),
            payment_method=options.pop("payment_method", None) or testbed.payment_method(card),
            idempotency_key=key,
            **options,
        )
    )


def onboarded_account(testbed: StripeTestbed, email: str = "seller@example.com") -> str:
    account, _ = testbed.provider.onboarding_link(
        account_reference="",
        email=email,
        return_url="https://alpha.example/seller/payouts",
        refresh_url="https://alpha.example/seller/payouts/again",
    )
    testbed.connect.complete_onboarding(account)
    return account


# --- configuration ------------------------------------------------------------------------------


def test_get_provider_answers_stripe_in_test_mode(stripe_testbed: StripeTestbed):
    provider = get_provider()

    assert isinstance(provider, StripeProvider)
    assert provider.key == "stripe"
    assert provider.is_test_mode is True


# --- customers ----------------------------------------------------------------------------------


def test_customer_is_created_once_for_the_same_buyer(stripe_testbed: StripeTestbed):
    provider = stripe_testbed.provider

    first = provider.ensure_customer(email="ana@example.com", name="Ana", existing_reference="")
    again = provider.ensure_customer(email="ana@example.com", name="Ana", existing_reference="")

    customer = stripe_testbed.client.v1.customers.retrieve(first)
    assert first.startswith("cus_") and again == first
    assert (customer.email, customer.name) == ("ana@example.com", "Ana")
    assert customer.to_dict()["metadata"] == {TENANT_METADATA_KEY: "public"}
    created = stripe_testbed.front.sent("POST", "/v1/customers")
    assert len(created) == 2 and created[0].idempotency_key == created[1].idempotency_key


def test_known_customer_is_not_created_again(stripe_testbed: StripeTestbed):
    reference = stripe_testbed.provider.ensure_customer(
        email="ana@example.com", name="Ana", existing_reference="cus_known"
    )

    assert reference == "cus_known"
    assert stripe_testbed.front.sent() == []


# --- charges ------------------------------------------------------------------------------------


def test_charge_with_a_test_card_succeeds(stripe_testbed: StripeTestbed):
    customer = stripe_testbed.provider.ensure_customer(
        email="ana@example.com", name="Ana", existing_reference=""
    )

    result = charge(
        stripe_testbed,
        CARD_SUCCEEDS,
        description="Order 1",
        customer_reference=customer,
        transfer_group="order-1",
        metadata={"order_id": "1"},
    )

    assert result.status == ChargeStatus.SUCCEEDED
    assert result.reference.startswith("pi_")
    assert (result.card_brand, result.card_last4) == ("visa", "4242")
    assert result.saved_method_reference == ""
    [sent] = stripe_testbed.front.sent("POST", "/v1/payment_intents")
    assert sent.idempotency_key == "public:order-1-payment-1"
    assert {name: sent.params.get(name) for name in ("amount", "currency", "confirm")} == {
        "amount": "1999",
        "currency": "eur",
        "confirm": "true",
    }
    assert sent.params["customer"] == customer
    assert sent.params["transfer_group"] == "order-1"
    assert sent.params["description"] == "Order 1"
    assert sent.params["allowed_payment_method_types[0]"] == "card"
    assert "setup_future_usage" not in sent.params and "off_session" not in sent.params
    assert sent.nested("metadata") == {"order_id": "1", TENANT_METADATA_KEY: "public"}
    assert stripe_testbed.provider.retrieve(reference=result.reference).status == (
        ChargeStatus.SUCCEEDED
    )


def test_charge_with_stripes_test_method_id_succeeds(stripe_testbed: StripeTestbed):
    result = charge(stripe_testbed, "", payment_method="pm_card_visa")

    assert result.status == ChargeStatus.SUCCEEDED
    assert result.card_last4 == "4242"


def test_saving_the_method_asks_stripe_to_keep_it_for_renewals(stripe_testbed: StripeTestbed):
    customer = stripe_testbed.provider.ensure_customer(
        email="ana@example.com", name="Ana", existing_reference=""
    )
    method = stripe_testbed.payment_method(CARD_SUCCEEDS)

    result = charge(
        stripe_testbed, "", payment_method=method, customer_reference=customer, save_method=True
    )

    assert result.status == ChargeStatus.SUCCEEDED
    assert result.saved_method_reference == method
    [sent] = stripe_testbed.front.sent("POST", "/v1/payment_intents")
    assert sent.params["setup_future_usage"] == "off_session"


def test_renewal_is_charged_off_session(stripe_testbed: StripeTestbed):
    result = charge(stripe_testbed, CARD_SUCCEEDS, key="renewal-7", off_session=True)

    assert result.status == ChargeStatus.SUCCEEDED
    [sent] = stripe_testbed.front.sent("POST", "/v1/payment_intents")
    assert (sent.params["off_session"], sent.params["confirm"]) == ("true", "true")


def test_declined_card_fails_with_the_decline_code(stripe_testbed: StripeTestbed):
    result = charge(stripe_testbed, CARD_DECLINED_ON_CHARGE)

    assert result.status == ChargeStatus.FAILED
    assert result.failure_code == "card_declined"
    assert result.failure_message == "Your card was declined."
    assert result.reference.startswith("pi_")
    assert stripe_testbed.provider.retrieve(reference=result.reference).status == (
        ChargeStatus.FAILED
    )


def test_three_d_secure_card_requires_action_then_succeeds(stripe_testbed: StripeTestbed):
    pending = charge(stripe_testbed, CARD_THREE_D_SECURE)
    assert pending.status == ChargeStatus.REQUIRES_ACTION
    assert pending.action_url.startswith(f"stripe-js:{pending.reference}_secret_")

    stripe_testbed.authenticate(pending.reference)
    result = stripe_testbed.provider.confirm(reference=pending.reference, confirmation="")

    assert result.status == ChargeStatus.SUCCEEDED
    assert result.reference == pending.reference


def test_failed_three_d_secure_fails_the_charge(stripe_testbed: StripeTestbed):
    pending = charge(stripe_testbed, CARD_THREE_D_SECURE)

    stripe_testbed.authenticate(pending.reference, is_successful=False)
    result = stripe_testbed.provider.confirm(reference=pending.reference, confirmation="")

    assert result.status == ChargeStatus.FAILED
    assert result.failure_code == "payment_intent_authentication_failure"


def test_three_d_secure_card_fails_a_renewal(stripe_testbed: StripeTestbed):
    result = charge(stripe_testbed, CARD_THREE_D_SECURE, off_session=True)

    assert result.status == ChargeStatus.FAILED
    assert result.failure_code == "authentication_required"
    assert result.action_url == ""


def test_same_idempotency_key_makes_one_payment(stripe_testbed: StripeTestbed):
    method = stripe_testbed.payment_method(CARD_SUCCEEDS)
    before = stripe_testbed.payment_intents_count()

    first = charge(stripe_testbed, "", payment_method=method)
    again = charge(stripe_testbed, "", payment_method=method)

    assert again == first
    assert stripe_testbed.payment_intents_count() == before + 1
    assert len(stripe_testbed.front.sent("POST", "/v1/payment_intents")) == 2


def test_same_key_with_other_parameters_is_a_provider_error(stripe_testbed: StripeTestbed):
    method = stripe_testbed.payment_method(CARD_SUCCEEDS)
    charge(stripe_testbed, "", payment_method=method)

    with pytest.raises(PaymentError) as raised:
        charge(stripe_testbed, "", payment_method=method, amount=Money(2500, "EUR"))

    assert raised.value.code == PaymentErrorCode.PROVIDER_ERROR
    assert raised.value.kind == ErrorKind.UPSTREAM_FAILED
    assert "same parameters" in raised.value.message


def test_stripe_out_of_reach_is_a_provider_error(stripe_testbed: StripeTestbed, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard port: nothing listens

    with pytest.raises(PaymentError) as raised:
        stripe_testbed.provider.retrieve(reference="pi_anything")

    assert raised.value.code == PaymentErrorCode.PROVIDER_ERROR
    assert raised.value.kind == ErrorKind.UPSTREAM_FAILED
    assert raised.value.message.endswith("Stripe could not be reached.")


@pytest.mark.parametrize("status", ["processing", "requires_capture"])
def test_unsettled_intent_is_pending_with_nothing_for_the_buyer_to_do(status):
    """Settled later by payment_intent.succeeded or .payment_failed; never a failure."""
    for is_off_session in (False, True):
        result = charge_result({"id": "pi_1", "status": status}, is_off_session=is_off_session)

        assert (result.status, result.action_url) == (ChargeStatus.REQUIRES_ACTION, "")


def test_key_quoted_in_a_stripe_message_is_redacted():
    refusal = stripe.InvalidRequestError("No such thing for key sk_live_abc123 (whsec_x9)", None)

    with pytest.raises(PaymentError) as raised:
        _provider_error("do it", refusal)

    assert "sk_live_abc123" not in raised.value.message and "whsec_x9" not in raised.value.message
    assert "sk_***" in raised.value.message


# --- refunds ------------------------------------------------------------------------------------


def refunded_total(testbed: StripeTestbed, reference: str) -> list[int]:
    refunds = testbed.client.v1.refunds.list({"payment_intent": reference})
    return sorted(refund.amount for refund in refunds.data)


def test_full_refund(stripe_testbed: StripeTestbed):
    paid = charge(stripe_testbed, CARD_SUCCEEDS)

    refund = stripe_testbed.provider.refund(
        reference=paid.reference, amount=EUR_19_99, idempotency_key="refund-1"
    )

    assert refund.reference.startswith("re_")
    assert refunded_total(stripe_testbed, paid.reference) == [1999]
    [sent] = stripe_testbed.front.sent("POST", "/v1/refunds")
    assert (sent.params["payment_intent"], sent.params["amount"]) == (paid.reference, "1999")
    assert sent.idempotency_key == "public:refund-1"


def test_partial_refunds_add_up(stripe_testbed: StripeTestbed):
    paid = charge(stripe_testbed, CARD_SUCCEEDS)

    first = stripe_testbed.provider.refund(
        reference=paid.reference, amount=Money(500, "EUR"), idempotency_key="refund-1"
    )
    second = stripe_testbed.provider.refund(
        reference=paid.reference, amount=Money(700, "EUR"), idempotency_key="refund-2"
    )

    assert first.reference != second.reference
    assert refunded_total(stripe_testbed, paid.reference) == [500, 700]


def test_same_refund_key_refunds_once(stripe_testbed: StripeTestbed):
    paid = charge(stripe_testbed, CARD_SUCCEEDS)

    first = stripe_testbed.provider.refund(
        reference=paid.reference, amount=Money(500, "EUR"), idempotency_key="refund-1"
    )
    again = stripe_testbed.provider.refund(
        reference=paid.reference, amount=Money(500, "EUR"), idempotency_key="refund-1"
    )

    assert again == first
    assert refunded_total(stripe_testbed, paid.reference) == [500]


# --- Connect: sellers, transfers, reversals -----------------------------------------------------


def test_onboarding_creates_an_express_account_and_a_link(stripe_testbed: StripeTestbed):
    account, url = stripe_testbed.provider.onboarding_link(
        account_reference="",
        email="seller@example.com",
        return_url="https://alpha.example/done",
        refresh_url="https://alpha.example/again",
    )

    assert account.startswith("acct_")
    assert url.startswith(f"{stripe_testbed.connect.url}/setup/e/{account}/")
    [created] = stripe_testbed.connect.sent("POST", "/v1/accounts")
    assert created.params["type"] == "express"
    assert created.params["email"] == "seller@example.com"
    assert created.params["capabilities[transfers][requested]"] == "true"
    assert created.nested("metadata") == {TENANT_METADATA_KEY: "public"}
    assert created.idempotency_key
    [link] = stripe_testbed.connect.sent("POST", "/v1/account_links")
    assert link.params == {
        "account": account,
        "type": "account_onboarding",
        "return_url": "https://alpha.example/done",
        "refresh_url": "https://alpha.example/again",
    }
    # Payments never reach the Connect server, nor Connect calls localstripe.
    assert stripe_testbed.front.sent() == []


def test_onboarding_again_reuses_the_account(stripe_testbed: StripeTestbed):
    account, _ = stripe_testbed.provider.onboarding_link(
        account_reference="",
        email="s@example.com",
        return_url="https://a/r",
        refresh_url="https://a/f",
    )

    again, url = stripe_testbed.provider.onboarding_link(
        account_reference=account,
        email="s@example.com",
        return_url="https://a/r",
        refresh_url="https://a/f",
    )

    assert again == account and url
    assert len(stripe_testbed.connect.sent("POST", "/v1/accounts")) == 1
    assert len(stripe_testbed.connect.sent("POST", "/v1/account_links")) == 2


def test_payouts_are_enabled_once_onboarding_is_complete(stripe_testbed: StripeTestbed):
    account, _ = stripe_testbed.provider.onboarding_link(
        account_reference="",
        email="s@example.com",
        return_url="https://a/r",
        refresh_url="https://a/f",
    )
    assert stripe_testbed.provider.is_payouts_enabled(account_reference=account) is False

    stripe_testbed.connect.complete_onboarding(account)

    assert stripe_testbed.provider.is_payouts_enabled(account_reference=account) is True


def test_transfer_pays_the_seller_once_per_key(stripe_testbed: StripeTestbed):
    account = onboarded_account(stripe_testbed)

    first = stripe_testbed.provider.transfer(
        account_reference=account,
        amount=Money(5000, "EUR"),
        idempotency_key="payout-1",
        description="Payout 1",
    )
    again = stripe_testbed.provider.transfer(
        account_reference=account,
        amount=Money(5000, "EUR"),
        idempotency_key="payout-1",
        description="Payout 1",
    )

    assert first.is_successful and first.reference.startswith("tr_")
    assert again == first
    [transfer] = stripe_testbed.connect.transfers.values()
    assert (transfer["destination"], transfer["amount"], transfer["currency"]) == (
        account,
        5000,
        "eur",
    )
    assert transfer["description"] == "Payout 1"
    assert transfer["metadata"] == {TENANT_METADATA_KEY: "public"}


def test_transfer_to_an_account_not_onboarded_fails_the_payout(stripe_testbed: StripeTestbed):
    account, _ = stripe_testbed.provider.onboarding_link(
        account_reference="",
        email="s@example.com",
        return_url="https://a/r",
        refresh_url="https://a/f",
    )

    result = stripe_testbed.provider.transfer(
        account_reference=account,
        amount=Money(5000, "EUR"),
        idempotency_key="payout-1",
        description="Payout 1",
    )

    assert result.is_successful is False
    assert "capabilities enabled: transfers" in result.failure_message
    assert stripe_testbed.connect.transfers == {}


def test_transfer_refused_for_the_platform_balance_fails_the_payout(
    stripe_testbed: StripeTestbed,
):
    account = onboarded_account(stripe_testbed)
    stripe_testbed.connect.transfer_refusal_code = "balance_insufficient"

    result = stripe_testbed.provider.transfer(
        account_reference=account,
        amount=Money(5000, "EUR"),
        idempotency_key="payout-1",
        description="Payout 1",
    )

    assert (result.is_successful, result.reference) == (False, "")


def test_transfer_reversal_takes_back_part_of_a_payout(stripe_testbed: StripeTestbed):
    account = onboarded_account(stripe_testbed)
    paid = stripe_testbed.provider.transfer(
        account_reference=account,
        amount=Money(5000, "EUR"),
        idempotency_key="payout-1",
        description="Payout 1",
    )

    reversal = stripe_testbed.provider.reverse_transfer(
        transfer_reference=paid.reference, amount=Money(2000, "EUR"), idempotency_key="refund-9"
    )
    again = stripe_testbed.provider.reverse_transfer(
        transfer_reference=paid.reference, amount=Money(2000, "EUR"), idempotency_key="refund-9"
    )

    assert reversal.reference.startswith("trr_") and again == reversal
    transfer = stripe_testbed.connect.transfers[paid.reference]
    assert (transfer["amount_reversed"], transfer["reversed"]) == (2000, False)
    [made] = transfer["reversals"]["data"]
    assert made["metadata"][REVERSAL_METADATA_KEY] == "refund-9"


def test_reversing_more_than_was_paid_is_a_provider_error(stripe_testbed: StripeTestbed):
    account = onboarded_account(stripe_testbed)
    paid = stripe_testbed.provider.transfer(
        account_reference=account,
        amount=Money(5000, "EUR"),
        idempotency_key="payout-1",
        description="Payout 1",
    )

    with pytest.raises(PaymentError) as raised:
        stripe_testbed.provider.reverse_transfer(
            transfer_reference=paid.reference, amount=Money(6000, "EUR"), idempotency_key="r-1"
        )

    assert raised.value.code == PaymentErrorCode.PROVIDER_ERROR
    assert "greater than the amount remaining" in raised.value.message


def test_refused_api_key_is_never_echoed(stripe_testbed: StripeTestbed):
    stripe_testbed.connect.is_key_rejected = True  # Stripe's 401 quotes the key it got

    with pytest.raises(PaymentError) as raised:
        stripe_testbed.provider.is_payouts_enabled(account_reference="acct_any")

    error = raised.value
    assert (error.code, error.kind) == (PaymentErrorCode.PROVIDER_ERROR, ErrorKind.UPSTREAM_FAILED)
    assert TEST_SECRET_KEY not in f"{error.message} {error.details}"
    assert error.message.endswith("Stripe refused the platform's API key.")


# --- marketplaces share the platform's Stripe account ------------------------------------------


def test_same_key_in_two_marketplaces_makes_two_transfers(
    stripe_testbed: StripeTestbed, tenant_a, tenant_b
):
    """Payout 1 of one marketplace and payout 1 of another are different payouts, though
    Stripe scopes idempotency keys to the one platform account they share."""
    account = onboarded_account(stripe_testbed)
    results = []
    for tenant in (tenant_a, tenant_b):
        with schema_context(tenant.schema_name):
            results.append(
                stripe_testbed.provider.transfer(
                    account_reference=account,
                    amount=Money(5000, "EUR"),
                    idempotency_key="payout-1",
                    description="Payout 1",
                )
            )

    assert results[0].reference != results[1].reference
    assert sorted(
        t["metadata"][TENANT_METADATA_KEY] for t in stripe_testbed.connect.transfers.values()
    ) == sorted([tenant_a.schema_name, tenant_b.schema_name])
