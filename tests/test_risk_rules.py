"""The risk rules at their boundaries: each yields nothing, review or block exactly where the
marketplace's thresholds say (pure functions: no database, the clock given)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.money import Money
from core.risk import rules
from core.risk.models import MarkKind, Outcome, RiskSettings

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def limits(**changes: object) -> RiskSettings:
    settings = RiskSettings()  # the defaults, unsaved
    for name, value in changes.items():
        setattr(settings, name, value)
    return settings


def checkout(**changes: object) -> rules.CheckoutSignals:
    base: dict[str, object] = {"amount": Money(2000, "USD"), "billing_country": "DE"}
    return rules.CheckoutSignals(**{**base, **changes})  # type: ignore[arg-type]


def outcomes(hits: list[rules.Hit]) -> list[tuple[str, Outcome]]:
    return [(hit.rule, hit.outcome) for hit in hits]


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (2, []),
        (3, [("velocity_orders", Outcome.REVIEW)]),
        (4, [("velocity_orders", Outcome.REVIEW)]),
        (5, [("velocity_orders", Outcome.BLOCK)]),
    ],
)
def test_orders_per_address_review_then_block_at_their_thresholds(count, expected):
    settings = limits(orders_review_at=3, orders_block_at=5)

    hits = rules.velocity(
        checkout(by_ip=rules.Velocity(orders=count, cards=1, accounts=1)), settings
    )

    assert outcomes(hits) == expected


@pytest.mark.parametrize(
    ("cards", "accounts", "expected"),
    [
        (1, 1, []),
        (2, 1, [("velocity_cards", Outcome.REVIEW)]),
        (3, 1, [("velocity_cards", Outcome.BLOCK)]),
        (1, 2, [("velocity_accounts", Outcome.REVIEW)]),
        (1, 4, [("velocity_accounts", Outcome.BLOCK)]),
    ],
)
def test_cards_and_accounts_per_device_review_then_block(cards, accounts, expected):
    settings = limits(
        cards_review_at=2, cards_block_at=3, accounts_review_at=2, accounts_block_at=4
    )

    hits = rules.velocity(
        checkout(by_device=rules.Velocity(orders=1, cards=cards, accounts=accounts)), settings
    )

    assert outcomes(hits) == expected
    assert all("device" in hit.reason for hit in hits)


def test_a_threshold_of_zero_switches_the_check_off_and_unknown_keys_are_not_counted():
    settings = limits(orders_review_at=0, orders_block_at=0)

    assert rules.velocity(checkout(by_ip=rules.Velocity(orders=10_000)), settings) == []
    assert rules.velocity(checkout(by_ip=None, by_device=None), limits()) == []


@pytest.mark.parametrize(
    ("card", "client", "setting", "expected"),
    [
        ("DE", "DE", Outcome.REVIEW, []),
        ("", "", Outcome.REVIEW, []),
        ("FR", "", Outcome.REVIEW, [Outcome.ALLOW]),  # a card from abroad only adds to the score
        ("DE", "FR", Outcome.REVIEW, [Outcome.REVIEW]),
        ("FR", "FR", Outcome.REVIEW, [Outcome.REVIEW]),  # the client is not where it bills
        ("", "FR", Outcome.BLOCK, [Outcome.BLOCK]),
        ("US", "FR", Outcome.ALLOW, [Outcome.ALLOW]),
    ],
)
def test_country_mismatch_follows_the_marketplace_setting(card, client, setting, expected):
    hits = rules.country_mismatch(
        checkout(card_country=card, ip_country=client), limits(country_mismatch_outcome=setting)
    )

    assert [hit.outcome for hit in hits] == expected


@pytest.mark.parametrize(
    ("amount", "is_first", "expected"),
    [
        (50_000, True, []),  # at the threshold: not above it
        (50_001, True, [Outcome.REVIEW]),
        (90_000, True, [Outcome.REVIEW]),
        (90_001, True, [Outcome.BLOCK]),
        (90_001, False, []),  # not the buyer's first order
    ],
)
def test_first_order_size_reviews_and_blocks_above_its_thresholds(amount, is_first, expected):
    settings = limits(first_order_review_above=50_000, first_order_block_above=90_000)

    hits = rules.first_order_size(
        checkout(amount=Money(amount, "USD"), is_first_order=is_first), settings
    )

    assert [hit.outcome for hit in hits] == expected


def test_chargeback_marks_block_a_buyer_or_card_and_review_a_device_or_address():
    def verdict_for(*kinds: MarkKind) -> Outcome:
        return rules.verdict(rules.check_checkout(checkout(marks=frozenset(kinds)), limits()))[0]

    assert verdict_for() == Outcome.ALLOW
    assert verdict_for(MarkKind.IP) == Outcome.REVIEW
    assert verdict_for(MarkKind.DEVICE) == Outcome.REVIEW
    assert verdict_for(MarkKind.CARD) == Outcome.BLOCK
    assert verdict_for(MarkKind.BUYER, MarkKind.IP) == Outcome.BLOCK


def payout(amount: int, *, age: timedelta, largest: int = 0) -> rules.PayoutSignals:
    return rules.PayoutSignals(
        amount=Money(amount, "USD"),
        seller_created_at=NOW - age,
        now=NOW,
        largest_paid_before=largest,
    )


@pytest.mark.parametrize(
    ("amount", "age", "largest", "expected"),
    [
        (30_000, timedelta(days=10), 10_000, []),  # exactly 3x: not above it
        (30_001, timedelta(days=10), 10_000, [Outcome.REVIEW]),
        (30_001, timedelta(days=30) - timedelta(seconds=1), 10_000, [Outcome.REVIEW]),
        (30_001, timedelta(days=30), 10_000, []),  # no longer a new seller
        (100_000, timedelta(days=1), 0, []),  # a first payout at the limit
        (100_001, timedelta(days=1), 0, [Outcome.REVIEW]),
    ],
)
def test_a_new_sellers_payout_far_above_their_history_is_reviewed(amount, age, largest, expected):
    settings = limits(
        new_seller_days=30, payout_spike_multiplier=3, first_payout_review_above=100_000
    )

    hits = rules.payout_spike(payout(amount, age=age, largest=largest), settings)

    assert [hit.outcome for hit in hits] == expected


def test_the_verdict_is_the_most_severe_hit_and_the_score_their_sum():
    hits = [
        rules.Hit("a", Outcome.ALLOW, "x"),
        rules.Hit("b", Outcome.REVIEW, "y"),
        rules.Hit("c", Outcome.REVIEW, "z", score=70),
    ]

    assert rules.verdict(hits) == (Outcome.REVIEW, 20 + 50 + 70)
    assert rules.verdict([]) == (Outcome.ALLOW, 0)
