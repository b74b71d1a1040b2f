"""A demo marketplace's people and history, made through the same services the product uses:
categories, verified sellers (one with a teammate) with illustrated, published products,
buyers, and 90 days of orders placed on their own dates (time-machine moves the clock, so the
ledger, the orders and the dashboards agree) — most completed, some refunded in part or in
full, a few still awaiting payment after a declined card — reviews with seller replies, a
settled payout per seller, and a newcomer's large first order held for an operator's risk
review."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, time, timedelta

import time_machine
from django.utils import timezone

from core.accounts.models import Role, User
from core.catalog.models import Category, Product
from core.catalog.services.categories import create_category
from core.catalog.services.moderation import approve_product
from core.catalog.services.products import ProductData, create_product, transition
from core.commerce.models import LineStatus, Order, OrderLine
from core.commerce.services.cart import add_product, get_or_create_cart
from core.commerce.services.checkout import CheckoutInput, checkout_cart
from core.commerce.services.refunds import LineRefund, refund_order
from core.errors import DomainError
from core.payments.providers.sandbox import DECLINED_CARD, SUCCESS_CARD
from core.payments.services.payouts import request_payout, settle_payout
from core.reviews.models import ReviewStatus
from core.reviews.services.replies import reply_to_review
from core.reviews.services.writing import create_review
from core.risk.models import ReviewStatus as RiskReview
from core.risk.models import RiskAssessment
from core.risk.services.settings import update_risk_settings
from core.sellers.models import Seller, TeamMember
from tenants.demo.catalogues import REVIEW_TEXTS, DemoCatalogue, DemoSeller
from tenants.demo.conversations import populate_talk
from tenants.demo.people import demo_buyer, demo_seller, illustrate

DAYS = 90
COUNTRIES = ("DE", "FR", "NL", "US", "GB", "ES", "IT", "SE")
REPLIES = (
    "Thank you! That means a lot to our small team.",
    "Thanks for the kind words. Dark mode is on the roadmap for this spring.",
    "Sorry it did not fit. Write to us and we will see what we can do about that export.",
)


def populate(catalogue: DemoCatalogue, *, password: str, seed: int, days: int = DAYS) -> None:
    """In the current tenant's schema, which has no sellers yet."""
    rng = random.Random(seed)
    start = timezone.now() - timedelta(days=days + 5)
    with time_machine.travel(start, tick=False):
        categories = _categories(catalogue)
        sellers = [_seller(spec, categories, password) for spec in catalogue.sellers]
        buyers = [demo_buyer(name, password) for name in catalogue.buyers]
    products = [product for _, owned in sellers for product in owned]
    orders = _orders(rng, buyers, products, [seller for seller, _ in sellers], days)
    _held_for_review(rng, products, password)
    _reviews(rng, [seller for seller, _ in sellers])
    populate_talk(rng, buyers=buyers, sellers=[seller for seller, _ in sellers], orders=orders)


def _categories(catalogue: DemoCatalogue) -> dict[str, Category]:
    return {
        name: create_category(name=name, description=description, position=index)
        for index, (name, description) in enumerate(catalogue.categories)
    }


def _seller(
    spec: DemoSeller, categories: dict[str, Category], password: str
) -> tuple[Seller, list[Product]]:
    seller = demo_seller(
        slug=spec.slug,
        business_name=spec.business_name,
        bio=spec.bio,
        product_types=["software"],
        password=password,
    )
    for email, permissions in spec.teammates:
        member = User.objects.create_user(email, password, role=Role.SELLER)
        TeamMember.objects.create(seller=seller, user=member, permissions=list(permissions))
    products = []
    for item in spec.products:
        product = create_product(
            seller=seller,
            data=ProductData(
                name=item.name,
                product_type="software",
                prices={"USD": item.price},
                summary=item.summary,
                description=item.description,
                category_slug=categories[item.category].slug,
                tags=list(item.tags),
                features=list(item.features),
            ),
        )
        illustrate(product)
        transition(product=product, action="publish")
        products.append(approve_product(product=product))
    return seller, products


def _orders(
    rng: random.Random,
    buyers: list[User],
    products: list[Product],
    sellers: list[Seller],
    days: int,
) -> list[Order]:
    """Busier towards today, with weekday rhythm; popular products sell more. About one paid
    order in fourteen is refunded (in part or in full) a few days later. Half-way (at most a
    month ago) each seller is paid out what they had earned by that evening. Everything
    happens in date order, so balances over time read as they would have."""
    weights = [rng.uniform(0.3, 3.0) for _ in products]
    orders: list[Order] = []
    refunds_due: list[tuple[datetime, Order]] = []
    refunded = 0
    today = timezone.now().date()
    for days_ago in range(days, 0, -1):
        day = today - timedelta(days=days_ago)
        refunded += _refund_due(
            rng, refunds_due, until=timezone.make_aware(datetime.combine(day, time(6)))
        )
        expected = 1.0 + 2.5 * (days - days_ago) / days + (0.8 if day.weekday() < 5 else -0.5)
        for _ in range(max(0, round(rng.gauss(expected, 1.0)))):
            moment = datetime.combine(day, time(rng.randint(7, 22), rng.randint(0, 59)))
            picked = rng.choices(products, weights=weights, k=rng.choice((1, 1, 1, 2)))
            card = DECLINED_CARD if rng.random() < 0.04 else SUCCESS_CARD
            with time_machine.travel(timezone.make_aware(moment), tick=False):
                order = _checkout(rng, rng.choice(buyers), set(picked), card)
            if order is not None:
                orders.append(order)
                if rng.random() < 1 / 14:
                    later = timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 8))
                    refunds_due.append((order.created_at + later, order))
        if days_ago == min(30, days // 2):
            _payouts(sellers, timezone.make_aware(datetime.combine(day, time(23, 30))))
    refunded += _refund_due(rng, refunds_due, until=timezone.now())
    if not refunded and orders:  # a short history still shows a refund
        refunds_due.append(
            (min(orders[0].created_at + timedelta(days=1), timezone.now()), orders[0])
        )
        _refund_due(rng, refunds_due, until=timezone.now())
    return orders


def _checkout(rng: random.Random, buyer: User, products: set[Product], card: str) -> Order | None:
    cart = get_or_create_cart(buyer=buyer, token=None)
    for product in products:
        add_product(cart=cart, product_id=product.pk)
    try:
        order, _, _ = checkout_cart(
            buyer=buyer,
            cart=cart,
            details=CheckoutInput(country=rng.choice(COUNTRIES), name=buyer.full_name),
            idempotency_key=uuid.uuid4().hex,
            payment_method=card,
        )
    except DomainError:
        return None  # a declined card leaves the order awaiting payment
    return order


# Newcomers whose large first order the risk checks hold for an operator's review.
NEWCOMER = "Viktor Brandt"
FIRST_ORDER_REVIEW_ABOVE = 15_000  # minor units: first orders above 150.00 wait for review


def _held_for_review(rng: random.Random, products: list[Product], password: str) -> None:
    """The marketplace reviews large first orders (its operators lowered the threshold this
    morning), and a newcomer has just placed one: charged, held in the operators' risk queue
    until one of them approves or rejects it."""
    update_risk_settings(first_order_review_above=FIRST_ORDER_REVIEW_ABOVE)
    priced = sorted(
        (p for p in products if p.prices.filter(variant__isnull=True).exists()),
        key=lambda p: -p.prices.filter(variant__isnull=True).values_list("amount", flat=True)[0],
    )
    newcomer = demo_buyer(NEWCOMER, password)
    order = _checkout(rng, newcomer, set(priced[:4]), SUCCESS_CARD)
    if (
        order is None
        or not RiskAssessment.objects.filter(
            order_id=order.pk, review_status=RiskReview.PENDING
        ).exists()
    ):
        raise RuntimeError(f"the demo's first order for review was not held: {order}")


def _refund_due(
    rng: random.Random, refunds_due: list[tuple[datetime, Order]], *, until: datetime
) -> int:
    """Refund, on their own dates, the orders whose refund falls before ``until``."""
    done = 0
    for when, order in sorted(refunds_due, key=lambda item: item[0]):
        if when > until:
            continue
        refunds_due.remove((when, order))
        line = order.lines.filter(status=LineStatus.COMPLETED).first()
        if line is None:
            continue
        is_partial = rng.random() < 0.4
        with time_machine.travel(min(when, timezone.now()), tick=False):
            refund_order(
                order_id=order.pk,
                lines=[LineRefund(line_id=line.pk, amount=line.total // 2 if is_partial else None)],
                reason="Partial goodwill refund" if is_partial else "Bought by mistake",
                idempotency_key=f"demo-refund-{order.pk}",
                actor=None,
                actor_label="seller",
            )
        done += 1
    return done


def _reviews(rng: random.Random, sellers: list[Seller]) -> None:
    lines = OrderLine.objects.filter(status=LineStatus.COMPLETED, refunded_amount=0)
    for line in lines.select_related("order__buyer", "sub_order__seller"):
        if rng.random() > 0.45:
            continue
        rating, title, body = rng.choice(REVIEW_TEXTS)
        completed_at = line.completed_at or line.order.created_at
        when: datetime = min(completed_at + timedelta(days=rng.randint(1, 10)), timezone.now())
        with time_machine.travel(when, tick=False):
            try:
                review = create_review(
                    buyer=line.order.buyer,
                    order_line_id=line.pk,
                    rating=rating,
                    title=title,
                    body=body,
                )
            except DomainError:
                continue  # the buyer reviewed this product from another order
            # Automated moderation holds a text posted again and again (the demo's few
            # texts do repeat): a held review waits for the operator and takes no reply.
            if review.status == ReviewStatus.PUBLISHED and rng.random() < 0.35:
                seller = line.sub_order.seller
                reply_to_review(
                    seller=seller,
                    author=seller.owner,
                    review_id=review.pk,
                    body=REPLIES[0 if rating >= 4 else 1 if rating == 3 else 2],
                )


def _payouts(sellers: list[Seller], when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        for seller in sellers:
            try:
                payout = request_payout(seller=seller, currency="USD", run_key=f"demo-{when:%Y-%m}")
            except DomainError:
                continue  # nothing earned yet
            settle_payout(payout_id=payout.pk, reference=f"demo_tr_{payout.pk}")
