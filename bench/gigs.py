"""SQL statements and throughput of the gigs module's two hot pages over a marketplace with
10,000 gig orders: the seller's order queue (``/studio/gigs/``) and the buyer's order page
(``/gigs/orders/<id>/``), beside a trivial endpoint (``/api/v1/marketplace``) on the same
server in the same run.

Set-up: a marketplace running gigs, one studio with a gig (three packages, extras, questions),
a second seller, 2,000 buyers. Two orders are bought the real way (quote, offer into the cart,
checkout with the sandbox card, fulfilment, requirements): one is the template the rest are
cloned from with ``bulk_create`` (order, sub-order, line, gig order; nine in ten the studio's,
in every state), then deliveries (one or two each), revision requests (one order in five)
and a conversation with messages (one order in ten) are spread over them. The measured
orders are the studio's: one with 1 delivery and 1 message, one with 50 deliveries, 49
revision requests and 50 messages.

(a) SQL statements per page (Django's test client in process, the whole middleware stack):
the queue and both order pages at 100 orders in the marketplace, then again at 10,000; the
statement counts must not grow with orders, deliveries or messages (the run fails if they do).
(b) requests/s of the buyer's order page (the 50-delivery one) and of the trivial endpoint on
one gunicorn server (2 workers, keep-alive, 8 connections).

Usage: python bench/gigs.py [--orders 10000] [--seconds 8] [--workers 2]
Last line: {"order_page_queries", "queue_queries", "order_page_rps", "trivial_rps", ...}
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import (  # noqa: E402
    bench_database_url,
    load,
    recreate_database,
    setup_django,
    start_gunicorn,
    stop_gunicorn,
)

SLUG = "gigs-bench"
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
BUYERS = 2000
SMALL_ORDERS = 100
BIG = 50  # deliveries and messages on the "big" order
TRIVIAL_PATH = "/api/v1/marketplace"
QUEUE_PATH = "/studio/gigs/"
STATES = (
    ("completed", 40),
    ("in_progress", 20),
    ("delivered", 12),
    ("revision_requested", 8),
    ("awaiting_requirements", 8),
    ("cancelled", 12),
)


def prepare(url: str) -> dict[str, Any]:
    """The marketplace, its people, and two orders bought through the services."""
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    recreate_database(url)
    setup_django(url)
    from django_tenants.utils import schema_context

    from core.accounts.models import Role, User
    from core.catalog.services.moderation import approve_product
    from core.catalog.services.products import ProductData, create_product, transition
    from core.sellers.models import Seller, VerificationStatus
    from modules.gigs.services import listing
    from modules.gigs.tests.helpers import EXTRAS, PACKAGES, QUESTIONS
    from tenants.models import Domain
    from tenants.services import fill_schema_pool, provision_tenant
    from tests.accounts_helpers import PASSWORD

    fill_schema_pool(size=1)
    tenant = provision_tenant(
        slug=SLUG,
        name="Gigs Bench",
        owner_email="owner@gigs-bench.example",
        owner_password=None,
        modules=["gigs"],
    ).tenant
    host = Domain.objects.get(tenant=tenant, is_primary=True).domain
    with schema_context(tenant.schema_name):
        buyers = User.objects.bulk_create(
            User(email=f"buyer{i}@bench.example", password="!", full_name=f"Buyer {i}")
            for i in range(BUYERS)
        )
        buyer = buyers[0]
        buyer.set_password(PASSWORD)
        buyer.save(update_fields=["password"])
        sellers = []
        for index, name in enumerate(("Studio Nord", "Pixel Works")):
            owner = User.objects.create_user(
                f"seller{index}@bench.example", PASSWORD, role=Role.SELLER, full_name=name
            )
            sellers.append(
                Seller.objects.create(
                    owner=owner,
                    slug=f"seller-{index}",
                    business_name=name,
                    legal_form="company",
                    verification_status=VerificationStatus.VERIFIED,
                    product_type_grants=["gig"],
                )
            )
        gigs = []
        for seller in sellers:
            product = create_product(
                seller=seller,
                data=ProductData(
                    name=f"Logo design by {seller.business_name}",
                    product_type="gig",
                    prices={"USD": 5000},
                ),
            )
            listing.set_packages(product=product, packages=PACKAGES)
            listing.set_extras(product=product, extras=EXTRAS)
            listing.set_questions(product=product, questions=QUESTIONS)
            transition(product=product, action="publish")
            gigs.append(approve_product(product=product))
        template = buy(buyer, gigs[0])
        other_template = buy(buyers[1], gigs[1])
    return {
        "tenant": tenant,
        "host": host,
        "buyers": [b.pk for b in buyers],
        "sellers": sellers,
        "template": template,
        "other_template": other_template,
        "buyer_email": buyer.email,
        "seller_email": sellers[0].owner.email,
    }


def buy(buyer: Any, gig: Any) -> Any:
    """Quote (standard + express), the offer into the cart, checkout, fulfilment, requirements:
    a real gig order in progress."""
    from core.commerce.models import OrderLine
    from core.commerce.services.cart import add_offer, get_or_create_cart
    from core.commerce.services.checkout import CheckoutInput, checkout_cart
    from core.commerce.services.fulfilment import fulfil_line
    from core.payments.providers.sandbox import SUCCESS_CARD
    from modules.gigs.models import GigExtra, GigOrder
    from modules.gigs.services.orders import submit_requirements
    from modules.gigs.services.quotes import create_quote

    express = GigExtra.objects.get(product=gig, kind="fast_delivery")
    quote = create_quote(buyer=buyer, product_id=gig.pk, tier="standard", extra_ids=[express.pk])
    cart = get_or_create_cart(buyer=buyer, token=None)
    add_offer(cart=cart, buyer=buyer, offer_id=quote.offer_id)
    order, _, _ = checkout_cart(
        buyer=buyer,
        cart=cart,
        details=CheckoutInput(country="DE", name=buyer.full_name),
        idempotency_key=uuid.uuid4().hex,
        payment_method=SUCCESS_CARD,
    )
    line = OrderLine.objects.get(order=order)
    fulfil_line(line_id=line.pk)
    gig_order = GigOrder.objects.get(order_line=line)
    answers = {}
    for question in gig_order.questions:
        if question["kind"] == "text":
            answers[str(question["id"])] = "Nordlicht"
        elif question["kind"] == "choice":
            answers[str(question["id"])] = question["choices"][0]
    return submit_requirements(buyer=buyer, order_id=gig_order.pk, answers=answers)


def clone_orders(setup: dict[str, Any], count: int, rng: random.Random) -> int:
    """``count`` more gig orders, copies of the two real ones (nine in ten the studio's),
    spread over the buyers and the last 120 days, in every state, with their deliveries,
    revision requests and (one in ten) a conversation. Returns the orders made."""
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from core.commerce.models import Order, OrderLine, SubOrder
    from core.conversations.models import Conversation, Message, Participant
    from modules.gigs.models import GigDelivery, GigOrder, RevisionRequest

    started = time.perf_counter()
    now = timezone.now()
    with schema_context(setup["tenant"].schema_name):
        sources = []
        for template in (setup["template"], setup["other_template"]):
            gig_order = GigOrder.objects.get(pk=template.pk)
            line = OrderLine.objects.get(pk=gig_order.order_line_id)
            sources.append(
                (
                    Order.objects.get(pk=line.order_id),
                    SubOrder.objects.get(pk=line.sub_order_id),
                    line,
                    gig_order,
                )
            )
        made = 0
        batch = 1000
        while made < count:
            size = min(batch, count - made)
            picks = [sources[0] if rng.random() < 0.9 else sources[1] for _ in range(size)]
            buyers = [rng.choice(setup["buyers"][1:]) for _ in range(size)]
            when = [now - timedelta(days=rng.uniform(1, 120)) for _ in range(size)]
            states = rng.choices([s for s, _ in STATES], weights=[w for _, w in STATES], k=size)
            orders = Order.objects.bulk_create(
                _copy(
                    source[0],
                    buyer_id=buyer,
                    idempotency_key=uuid.uuid4().hex,
                    created_at=moment,
                    paid_at=moment,
                )
                for source, buyer, moment in zip(picks, buyers, when, strict=True)
            )
            subs = SubOrder.objects.bulk_create(
                _copy(source[1], order_id=order.pk)
                for source, order in zip(picks, orders, strict=True)
            )
            lines = OrderLine.objects.bulk_create(
                _copy(source[2], order_id=order.pk, sub_order_id=sub.pk)
                for source, order, sub in zip(picks, orders, subs, strict=True)
            )
            gig_orders = GigOrder.objects.bulk_create(
                _gig_copy(source[3], line, buyer, moment, state)
                for source, line, buyer, moment, state in zip(
                    picks, lines, buyers, when, states, strict=True
                )
            )
            deliveries, revisions = [], []
            for gig_order in gig_orders:
                if gig_order.status in ("awaiting_requirements", "in_progress"):
                    continue
                if gig_order.status == "cancelled" and rng.random() < 0.7:
                    continue
                count_here = 2 if gig_order.status == "revision_requested" else rng.choice((1, 2))
                for number in range(1, count_here + 1):
                    deliveries.append(_delivery(gig_order, number))
            deliveries = GigDelivery.objects.bulk_create(deliveries)
            for delivery in deliveries:
                order = delivery.order
                if delivery.number == 1 and order.status == "revision_requested":
                    revisions.append(_revision(order, delivery, 1))
                elif delivery.number == 1 and rng.random() < 0.2:
                    revisions.append(_revision(order, delivery, 1, resolved=True))
            RevisionRequest.objects.bulk_create(revisions)
            talk = [(o, line) for o, line in zip(gig_orders, lines, strict=True) if o.pk % 10 == 0]
            conversations = Conversation.objects.bulk_create(
                Conversation(
                    buyer_id=o.buyer_id,
                    seller_id=o.seller_id,
                    order_id=line.order_id,
                    order_line_id=line.pk,
                    subject=f"line:{line.pk}",
                    title=o.title,
                )
                for o, line in talk
            )
            owners = {s.pk: s.owner_id for s in setup["sellers"]}
            Participant.objects.bulk_create(
                Participant(conversation=c, user_id=user_id, role=role)
                for c in conversations
                for user_id, role in ((c.buyer_id, "buyer"), (owners[c.seller_id], "seller"))
            )
            Message.objects.bulk_create(
                Message(
                    conversation=c,
                    sender_id=c.buyer_id if n % 2 == 0 else owners[c.seller_id],
                    text=f"Message {n + 1} about this order.",
                )
                for c in conversations
                for n in range(rng.randint(1, 6))
            )
            made += size
        with connection.cursor() as cursor:
            for table in (
                "commerce_order",
                "commerce_orderline",
                "gigs_gigorder",
                "gigs_gigdelivery",
                "conversations_message",
            ):
                cursor.execute(f"ANALYZE {table}")
    print(f"  set-up: {count:,} gig orders cloned in {time.perf_counter() - started:.1f} s")
    return made


def _copy(instance: Any, **changes: Any) -> Any:
    values = {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if not field.primary_key
    }
    values.update(changes)
    return type(instance)(**values)


def _gig_copy(source: Any, line: Any, buyer_id: int, moment: Any, state: str) -> Any:
    copy = _copy(source, order_line_id=line.pk, buyer_id=buyer_id, status=state)
    copy.created_at = moment
    if state == "awaiting_requirements":
        copy.answers, copy.requirements_submitted_at, copy.due_at = None, None, None
    else:
        copy.requirements_submitted_at = moment + timedelta(hours=3)
        copy.due_at = copy.requirements_submitted_at + timedelta(days=copy.delivery_days)
    if state in ("delivered", "revision_requested", "completed"):
        copy.delivered_at = copy.due_at - timedelta(hours=6)
    if state == "delivered":
        copy.auto_accept_at = copy.delivered_at + timedelta(days=3)
    if state == "completed":
        copy.completed_at = copy.delivered_at + timedelta(days=1)
    if state == "revision_requested":
        copy.revisions_used = 1
    if state == "cancelled":
        copy.cancelled_at = moment + timedelta(days=1)
        copy.cancel_reason = "mutual"
    return copy


def _delivery(order: Any, number: int) -> Any:
    from modules.gigs.models import GigDelivery

    return GigDelivery(
        order=order,
        kind="final" if number == 1 else "revision",
        status="submitted",
        number=number,
        description=f"Delivery {number}: concepts and source files.",
        links=[f"https://files.example/order-{order.pk}-v{number}.zip"],
        checklist_ticked=list(order.checklist),
        submitted_at=(order.delivered_at or order.created_at) + timedelta(hours=number),
    )


def _revision(order: Any, delivery: Any, number: int, *, resolved: bool = False) -> Any:
    from modules.gigs.models import RevisionRequest

    moment = delivery.submitted_at + timedelta(hours=5)
    return RevisionRequest(
        order=order,
        delivery=delivery,
        number=number,
        notes="Warmer colours, please, and the name a little larger.",
        due_at=moment + timedelta(days=3),
        resolved_at=moment + timedelta(days=1) if resolved else None,
    )


def measured_orders(setup: dict[str, Any]) -> tuple[int, int]:
    """The studio's two orders of the signed-in buyer: the real one (1 delivery, 1 message)
    and a clone with 50 deliveries, 49 revision requests and 50 messages."""
    from django_tenants.utils import schema_context

    from core.commerce.models import Order, OrderLine, SubOrder
    from core.conversations.models import Message
    from core.conversations.services.conversations import open_conversation
    from modules.gigs.models import GigDelivery, GigOrder, RevisionRequest
    from modules.gigs.services.deliveries import DraftData, deliver, save_draft

    with schema_context(setup["tenant"].schema_name):
        small = GigOrder.objects.get(pk=setup["template"].pk)
        line = OrderLine.objects.get(pk=small.order_line_id)
        order, sub = Order.objects.get(pk=line.order_id), SubOrder.objects.get(pk=line.sub_order_id)
        new_order = Order.objects.create(
            **{
                **{
                    f.attname: getattr(order, f.attname)
                    for f in order._meta.concrete_fields
                    if not f.primary_key
                },
                "idempotency_key": uuid.uuid4().hex,
            }
        )
        new_sub = _copy(sub, order_id=new_order.pk)
        new_sub.save()
        new_line = _copy(line, order_id=new_order.pk, sub_order_id=new_sub.pk)
        new_line.save()
        big = _copy(small, order_line_id=new_line.pk)
        big.save()
        # The small one: delivered once, through the service; one message.
        draft = save_draft(
            seller_id=small.seller_id,
            order_id=small.pk,
            data=DraftData(
                description="Here it is",
                links=["https://files.example/logo.zip"],
                checklist_ticked=list(small.checklist),
            ),
        )
        deliver(seller_id=small.seller_id, order_id=small.pk, delivery_id=draft.pk)
        conversation = open_conversation(
            buyer_id=small.buyer_id, seller_id=small.seller_id, order_line_id=small.order_line_id
        )
        Message.objects.create(conversation=conversation, sender_id=small.buyer_id, text="Hi!")
        # The big one: 50 deliveries, 49 revision requests, 50 messages.
        big.status, big.delivered_at = "delivered", small.due_at
        big.revisions_allowed, big.revisions_used = None, BIG - 1  # unlimited revisions
        big.save(update_fields=["status", "delivered_at", "revisions_allowed", "revisions_used"])
        deliveries = GigDelivery.objects.bulk_create(_delivery(big, n) for n in range(1, BIG + 1))
        RevisionRequest.objects.bulk_create(
            _revision(big, delivery, number, resolved=True)
            for number, delivery in enumerate(deliveries[:-1], start=1)
        )
        conversation = open_conversation(
            buyer_id=big.buyer_id, seller_id=big.seller_id, order_line_id=new_line.pk
        )
        owner_id = setup["sellers"][0].owner_id
        Message.objects.bulk_create(
            Message(
                conversation=conversation,
                sender_id=big.buyer_id if n % 2 == 0 else owner_id,
                text=f"Message {n + 1} about this order.",
            )
            for n in range(BIG)
        )
        return small.pk, big.pk


def statements(client: Any, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # warm: caches the first request fills are not what we count
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return sum(1 for q in captured if not q["sql"].startswith("SET search_path"))


def count_all(clients: dict[str, Any], small: int, big: int) -> dict[str, int]:
    return {
        "queue": statements(clients["seller"], QUEUE_PATH),
        "order_page_1": statements(clients["buyer"], f"/gigs/orders/{small}/"),
        "order_page_50": statements(clients["buyer"], f"/gigs/orders/{big}/"),
        "trivial": statements(clients["buyer"], TRIVIAL_PATH),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    url = bench_database_url().replace("_bench", "_bench_gigs")
    started = time.perf_counter()
    setup = prepare(url)
    small, big = measured_orders(setup)
    print(f"set-up: marketplace and two real orders in {time.perf_counter() - started:.0f} s")

    from django.conf import settings
    from django.test import Client

    from tests.accounts_helpers import sign_in

    clients = {}
    for role, email in (("buyer", setup["buyer_email"]), ("seller", setup["seller_email"])):
        client = Client(HTTP_HOST=setup["host"])
        answer = sign_in(client, email)
        assert answer.status_code == 200, answer.content
        clients[role] = client

    existing = 3  # two real orders and the big one
    clone_orders(setup, SMALL_ORDERS - existing, rng)
    at_small = count_all(clients, small, big)
    print(f"SQL statements at {SMALL_ORDERS} orders: {at_small}")
    clone_orders(setup, args.orders - SMALL_ORDERS, rng)
    at_large = count_all(clients, small, big)
    print(f"SQL statements at {args.orders:,} orders: {at_large}")

    from django_tenants.utils import schema_context

    from modules.gigs.models import GigOrder

    with schema_context(setup["tenant"].schema_name):
        total = GigOrder.objects.count()
        studio = GigOrder.objects.filter(seller=setup["sellers"][0]).count()
    print(f"  {total:,} gig orders in the marketplace, {studio:,} of them the studio's")

    cookie = clients["buyer"].cookies[settings.SESSION_COOKIE_NAME].value
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
    server, port = start_gunicorn(url, redis_url=REDIS_URL, workers=args.workers)
    try:
        page = f"/gigs/orders/{big}/"
        load(port, page, host=setup["host"], headers=headers, seconds=1, connections=2)  # warm
        trivial_rps, _ = load(
            port, TRIVIAL_PATH, host=setup["host"], seconds=args.seconds,
            connections=args.connections,
        )  # fmt: skip
        page_rps, _ = load(
            port, page, host=setup["host"], headers=headers, seconds=args.seconds,
            connections=args.connections,
        )  # fmt: skip
    finally:
        stop_gunicorn(server)
    print(
        f"gunicorn, {args.workers} workers, {args.connections} connections: buyer's order page "
        f"(50 deliveries) {page_rps:.0f} req/s, {TRIVIAL_PATH} {trivial_rps:.0f} req/s"
    )
    grows = {
        name: (at_small[name], at_large[name])
        for name in at_small
        if at_large[name] > at_small[name]
    }
    grows_with_deliveries = at_large["order_page_50"] > at_large["order_page_1"]
    print(
        json.dumps(
            {
                "order_page_queries": at_large["order_page_50"],
                "order_page_queries_1_delivery": at_large["order_page_1"],
                "order_page_queries_at_100": at_small["order_page_50"],
                "queue_queries": at_large["queue"],
                "queue_queries_at_100": at_small["queue"],
                "trivial_queries": at_large["trivial"],
                "order_page_rps": round(page_rps, 1),
                "trivial_rps": round(trivial_rps, 1),
                "orders": total,
                "studio_orders": studio,
                "queries_grow": bool(grows) or grows_with_deliveries,
            }
        )
    )
    if grows or grows_with_deliveries:
        raise SystemExit(f"statement counts grow: {grows or at_large}")


if __name__ == "__main__":
    main()
