"""The rules: small pure functions from what is known about a checkout or payout to zero or
more hits, each an outcome (allow / review / block), a score and a reason an operator can
read. The assessment's outcome is the most severe hit's; its score is their sum (it orders
the review queue). No rule reads the database: the services gather the signals once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from core.money import Money
from core.risk.models import MarkKind, Outcome

SEVERITY = {Outcome.ALLOW: 0, Outcome.REVIEW: 1, Outcome.BLOCK: 2}
SCORE = {Outcome.ALLOW: 20, Outcome.REVIEW: 50, Outcome.BLOCK: 100}
# A lost chargeback on the same buyer or card blocks; on a shared device or address (a
# household, an office, a phone carrier's NAT) it asks an operator.
MARK_OUTCOME = {
    MarkKind.BUYER: Outcome.BLOCK,
    MarkKind.CARD: Outcome.BLOCK,
    MarkKind.DEVICE: Outcome.REVIEW,
    MarkKind.IP: Outcome.REVIEW,
}


@dataclass(frozen=True)
class Hit:
    rule: str
    outcome: Outcome
    reason: str
    score: int = 0

    @property
    def points(self) -> int:
        return self.score or SCORE[self.outcome]

    def as_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "outcome": str(self.outcome),
            "score": self.points,
            "reason": self.reason,
        }


class Thresholds(Protocol):
    """What the rules read of RiskSettings."""

    orders_review_at: int
    orders_block_at: int
    cards_review_at: int
    cards_block_at: int
    accounts_review_at: int
    accounts_block_at: int
    first_order_review_above: int
    first_order_block_above: int
    country_mismatch_outcome: str
    new_seller_days: int
    payout_spike_multiplier: int
    first_payout_review_above: int


@dataclass(frozen=True)
class Velocity:
    """Counts within the window for one key (an address or a device), this checkout included."""

    orders: int = 0
    cards: int = 0
    accounts: int = 0


@dataclass(frozen=True)
class CheckoutSignals:
    amount: Money
    billing_country: str
    card_country: str = ""
    ip_country: str = ""
    is_first_order: bool = False
    by_ip: Velocity | None = None  # None: the address is unknown
    by_device: Velocity | None = None
    marks: frozenset[str] = field(default_factory=frozenset)  # MarkKind values matched


@dataclass(frozen=True)
class PayoutSignals:
    amount: Money
    seller_created_at: datetime
    now: datetime
    largest_paid_before: int  # the seller's largest earlier paid payout; 0: none


def _threshold(count: int, review_at: int, block_at: int) -> Outcome | None:
    if block_at and count >= block_at:
        return Outcome.BLOCK
    if review_at and count >= review_at:
        return Outcome.REVIEW
    return None


def velocity(signals: CheckoutSignals, limits: Thresholds) -> list[Hit]:
    hits: list[Hit] = []
    for key, counts in (("address", signals.by_ip), ("device", signals.by_device)):
        if counts is None:
            continue
        for what, count, review_at, block_at in (
            ("orders", counts.orders, limits.orders_review_at, limits.orders_block_at),
            ("cards", counts.cards, limits.cards_review_at, limits.cards_block_at),
            ("accounts", counts.accounts, limits.accounts_review_at, limits.accounts_block_at),
        ):
            outcome = _threshold(count, review_at, block_at)
            if outcome is not None:
                hits.append(
                    Hit(f"velocity_{what}", outcome, f"{count} {what} from this {key} recently.")
                )
    return hits


def country_mismatch(signals: CheckoutSignals, limits: Thresholds) -> list[Hit]:
    """The billing country against the card's and the client's (when known). A card from
    abroad alone is common (travellers, expats): it only adds to the score. A client
    elsewhere than the billing address or the card is the marketplace's chosen outcome."""
    billing, card, ip = signals.billing_country, signals.card_country, signals.ip_country
    if ip and (ip != billing or (card and ip != card)):
        known = ", ".join(
            f"{name} {code}"
            for name, code in (("billing", billing), ("card", card), ("client", ip))
            if code
        )
        return [
            Hit(
                "country_mismatch",
                Outcome(limits.country_mismatch_outcome),
                f"Countries differ: {known}.",
            )
        ]
    if card and card != billing:
        return [
            Hit("country_mismatch", Outcome.ALLOW, f"Card issued in {card}, billing {billing}.")
        ]
    return []


def first_order_size(signals: CheckoutSignals, limits: Thresholds) -> list[Hit]:
    if not signals.is_first_order:
        return []
    amount = signals.amount.amount
    for outcome, above in (
        (Outcome.BLOCK, limits.first_order_block_above),
        (Outcome.REVIEW, limits.first_order_review_above),
    ):
        if above and amount > above:
            limit = Money(above, signals.amount.currency)
            return [
                Hit(
                    "first_order_size",
                    outcome,
                    f"A first order of {signals.amount}, above {limit}.",
                )
            ]
    return []


def chargeback_marks(signals: CheckoutSignals, limits: Thresholds) -> list[Hit]:
    return [
        Hit(
            "chargeback_history",
            MARK_OUTCOME[MarkKind(kind)],
            f"This {MarkKind(kind).label.lower()} lost a chargeback before.",
        )
        for kind in sorted(signals.marks)
    ]


CHECKOUT_RULES = (velocity, country_mismatch, first_order_size, chargeback_marks)


def check_checkout(signals: CheckoutSignals, limits: Thresholds) -> list[Hit]:
    return [hit for rule in CHECKOUT_RULES for hit in rule(signals, limits)]


def payout_spike(signals: PayoutSignals, limits: Thresholds) -> list[Hit]:
    """A young seller cashing out far more than ever before (or a large first payout): the
    pattern of a seller account opened to launder stolen-card purchases."""
    age = signals.now - signals.seller_created_at
    if age >= timedelta(days=limits.new_seller_days):
        return []
    amount = signals.amount.amount
    days = f"{age.days} day{'s' if age.days != 1 else ''}"
    if signals.largest_paid_before:
        limit = signals.largest_paid_before * limits.payout_spike_multiplier
        if limits.payout_spike_multiplier and amount > limit:
            before = Money(signals.largest_paid_before, signals.amount.currency)
            return [
                Hit(
                    "payout_spike",
                    Outcome.REVIEW,
                    f"A seller of {days} asks for {signals.amount}; "
                    f"the most paid before was {before}.",
                )
            ]
        return []
    above = limits.first_payout_review_above
    if above and amount > above:
        first_limit = Money(above, signals.amount.currency)
        return [
            Hit(
                "payout_spike",
                Outcome.REVIEW,
                f"A seller of {days} asks for a first payout of {signals.amount}, "
                f"above {first_limit}.",
            )
        ]
    return []


def verdict(hits: list[Hit]) -> tuple[Outcome, int]:
    """The most severe outcome among the hits, and the summed score."""
    outcome = max((hit.outcome for hit in hits), key=SEVERITY.__getitem__, default=Outcome.ALLOW)
    return outcome, sum(hit.points for hit in hits)
