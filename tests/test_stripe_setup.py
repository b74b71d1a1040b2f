"""Saving a card without charging it (a free trial's checkout) through the real stripe
library against localstripe: a SetupIntent is created and confirmed; the method is kept."""

from __future__ import annotations

from tests.stripe_fixtures import CARD_SUCCEEDS

pytest_plugins = ["tests.stripe_fixtures"]


def test_a_card_is_saved_for_renewals_without_a_charge(stripe_testbed):
    provider = stripe_testbed.provider
    customer = provider.ensure_customer(
        email="trial@example.com", name="Trial", existing_reference=""
    )
    method = stripe_testbed.payment_method(CARD_SUCCEEDS)
    before = stripe_testbed.payment_intents_count()

    result = provider.setup_method(
        payment_method=method, customer_reference=customer, idempotency_key="trial-1"
    )

    assert result.status == "succeeded", result
    assert result.reference.startswith("seti_")
    assert result.saved_method_reference == method
    assert stripe_testbed.payment_intents_count() == before  # nothing was charged
    again = provider.setup_method(
        payment_method=method, customer_reference=customer, idempotency_key="trial-1"
    )
    assert again.reference == result.reference
