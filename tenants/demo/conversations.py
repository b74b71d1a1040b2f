"""A demo marketplace's conversations and disputes, made through the same services the
product uses (automated moderation included: each scripted line names its product or buyer,
so one marketplace's conversations never repeat a text the spam check would hold), each
message on its own moment of the last days (time-machine), so inboxes,
unread counts, notifications and the dispute timelines read as they would have:

- pre-sale questions about a product, answered by the seller (and one still unanswered, so
  the seller's studio shows an unread conversation);
- after-sale help on a paid order;
- a dispute the seller has not answered yet (the operator's queue has work) and one an
  operator decided with a split: part refunded to the buyer, the rest released to the seller.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import time_machine
from django.utils import timezone

from core.accounts.models import Role, User
from core.commerce.models import LineStatus, Order, OrderLine
from core.conversations.services.conversations import open_conversation
from core.conversations.services.messages import mark_read, post_message
from core.disputes.services import add_comment, add_evidence, open_dispute, resolve
from core.sellers.models import Seller

PRE_SALE = (
    ("buyer", "Hi! Does {product} work offline, or does it need a connection the whole time?"),
    (
        "seller",
        "Hi {first}, it works fully offline. It only goes online to look for updates, and to "
        "sync if you turn sync on.",
    ),
    ("buyer", "Great. And can I move the {product} licence to a new laptop later?"),
    (
        "seller",
        "Yes, {first}: deactivate {product} on the old machine from your account's licence "
        "page, then activate it on the new one. Up to three machines at once.",
    ),
    ("buyer", "Perfect, ordering {product} now. Thanks!"),
)
AFTER_SALE = (
    (
        "buyer",
        "Thanks for the quick delivery of {product}. Is there a guide for importing my data?",
    ),
    (
        "seller",
        "There is, {first}: Settings, then Import, takes CSV and JSON. Send me a sample if "
        "anything looks off and I will check it for you.",
    ),
    ("buyer", "Imported my records into {product} without a hitch. Thank you!"),
)
UNANSWERED = "Hello, is there a student discount for {product}? I am at university until June."
DISPUTE_REASON = (
    "The licence key I received is rejected on activation (error 'key not valid for this "
    "edition'). I wrote twice and have had no answer for four days."
)
DECIDED_REASON = (
    "Export to PDF, which the product page lists as a feature, is missing in the version I "
    "received."
)


def populate_talk(
    rng: random.Random, *, buyers: list[User], sellers: list[Seller], orders: list[Order]
) -> None:
    """In the current tenant's schema, after its trade (``activity.populate``). Messages are
    posted in time order across all conversations, as they would have been (the rate limits
    count on the moved clock too)."""
    now = timezone.now()
    people = list(buyers)
    rng.shuffle(people)
    posts: list[Post] = []
    for index, seller in enumerate(sellers):
        products = list(seller.products.filter(status="published").order_by("id")[:2])
        if not products:
            continue
        buyer = people[index % len(people)]
        posts += _talk(
            buyer,
            seller,
            PRE_SALE,
            now - timedelta(days=6 - index, hours=rng.randint(1, 9)),
            product_id=products[0].pk,
        )
        asker = people[(index + 3) % len(people)]
        asked = now - timedelta(hours=2 + index)
        with time_machine.travel(asked, tick=False):
            conversation = open_conversation(
                buyer_id=asker.pk, seller_id=seller.pk, product_id=products[-1].pk
            )
        posts.append(
            Post(asked, conversation.pk, asker.pk, UNANSWERED.format(product=products[-1].name))
        )
    ids = [order.pk for order in orders]
    paid = list(Order.objects.filter(pk__in=ids, paid_at__isnull=False).order_by("paid_at"))
    for order in paid[-3:]:
        sub_order = order.sub_orders.first()
        if sub_order is not None and order.buyer is not None:
            posts += _talk(
                order.buyer,
                sub_order.seller,
                AFTER_SALE,
                min(
                    max(order.paid_at or now, now - timedelta(days=3)) + timedelta(hours=1),
                    now - timedelta(hours=2),
                ),
                order_id=order.pk,
            )
    for post in sorted(posts, key=lambda post: post.at):
        with time_machine.travel(min(post.at, now), tick=False):
            post_message(
                conversation_id=post.conversation_id, sender_id=post.author_id, text=post.text
            )
            # Each side has read what came before its own answer.
            mark_read(conversation_id=post.conversation_id, user_id=post.author_id)
    recent = [
        order
        for order in paid
        if order.paid_at and now - timedelta(days=12) < order.paid_at < now - timedelta(days=5)
    ]
    _disputes(rng, recent, now)


@dataclass(frozen=True)
class Post:
    at: datetime
    conversation_id: int
    author_id: int
    text: str


def _talk(
    buyer: User,
    seller: Seller,
    script: tuple[tuple[str, str], ...],
    start: datetime,
    *,
    product_id: int | None = None,
    order_id: int | None = None,
) -> list[Post]:
    """The conversation, opened at ``start``, and its messages to post."""
    first = (buyer.full_name or "there").split()[0]
    with time_machine.travel(start, tick=False):
        conversation = open_conversation(
            buyer_id=buyer.pk, seller_id=seller.pk, product_id=product_id, order_id=order_id
        )
    product = conversation.product.name if conversation.product else ""
    if not product and order_id is not None:
        line = OrderLine.objects.filter(order_id=order_id).select_related("product").first()
        product = line.product.name if line else ""
    product = product or "it"
    posts, moment = [], start
    for side, text in script:
        author = buyer if side == "buyer" else seller.owner
        moment += timedelta(minutes=7 if side == "seller" else 23)
        posts.append(
            Post(moment, conversation.pk, author.pk, text.format(product=product, first=first))
        )
    return posts


def _disputes(rng: random.Random, orders: list[Order], now: datetime) -> None:
    """Two lines paid 5-12 days ago: one disputed and awaiting the seller, one decided with
    a split."""
    operator = User.objects.filter(role=Role.OPERATOR).order_by("id").first()
    lines = [
        line
        for order in orders
        for line in OrderLine.objects.filter(
            order=order, status__in=[LineStatus.FULFILLED, LineStatus.COMPLETED]
        )
        if line.refunded_amount == 0
    ]
    if len(lines) < 2 or operator is None:
        return
    waiting, decided = rng.sample(lines, 2)
    with time_machine.travel(now - timedelta(days=1, hours=3), tick=False):
        buyer = waiting.order.buyer
        assert buyer is not None
        dispute = open_dispute(
            user=buyer, order_line_id=waiting.pk, kind="delivery", reason=DISPUTE_REASON
        )
        add_evidence(
            user=buyer,
            dispute_id=dispute.pk,
            text="Activation error shown: 'LIC-104 key not valid for this edition'.",
        )
    with time_machine.travel(now - timedelta(days=4), tick=False):
        buyer = decided.order.buyer
        assert buyer is not None
        dispute = open_dispute(
            user=buyer, order_line_id=decided.pk, kind="quality", reason=DECIDED_REASON
        )
    seller_owner = decided.sub_order.seller.owner
    with time_machine.travel(now - timedelta(days=3, hours=20), tick=False):
        add_comment(
            user=seller_owner,
            dispute_id=dispute.pk,
            text="PDF export ships in the Pro edition; the buyer bought Standard. We can "
            "refund the difference.",
        )
    with time_machine.travel(now - timedelta(days=2), tick=False):
        # What was frozen (the seller's share, already earned) is split: a quarter of the
        # price back to the buyer, the rest released to the seller again.
        refund = min(decided.total // 4, dispute.frozen_amount)
        resolve(
            operator=operator,
            dispute_id=dispute.pk,
            resolution_type="refund",
            refund_to_buyer=refund,
            release_to_seller=dispute.frozen_amount - refund,
            platform_compensation=0,
            note="The product page listed PDF export without naming the edition: a quarter "
            "of the price goes back to the buyer, the rest to the seller.",
        )
