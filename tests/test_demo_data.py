"""`make demo`'s marketplaces have something to show: categories, illustrated products, and
orders placed through the real services on past dates in several states (completed, refunded
in part and in full, awaiting payment), reviews with replies, a settled payout,
conversations and two disputes (one decided with a split), with the books balanced. Run here on a few days of trade; `make demo` runs ninety."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Min
from django.utils import timezone
from django_tenants.utils import schema_context

from core.catalog.models import Category, Product, ProductImage
from core.commerce.models import Order, OrderStatus
from core.conversations.models import Conversation, Message, Participant
from core.disputes.models import Dispute
from core.notifications.models import Notification
from core.payments import ledger
from core.payments.models import JournalEntry, Payout, PayoutStatus
from core.reviews.models import Review, ReviewReply
from core.risk.models import ReviewStatus as RiskReview
from core.risk.models import RiskAssessment
from core.sellers.models import Seller
from tenants.demo.activity import populate
from tenants.demo.catalogues import CATALOGUES
from tenants.models import Domain, Tenant
from tenants.schemas_sql import drop_schema, use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.commerce_helpers import ledger_totals
from tests.fleet_helpers import TEST_POOL_SIZE

SLUG, SCHEMA = "demo-data", "t_demo_data"


def _drop() -> None:
    Domain.objects.filter(tenant__slug=SLUG).delete()
    Tenant.objects.filter(slug=SLUG).delete()
    drop_schema(SCHEMA)


@pytest.fixture
def committed_market(django_db_setup: None, django_db_blocker: Any) -> Iterator[Tenant]:
    """The demo commits as `make demo` does (each order's fulfilment runs after its commit),
    so this marketplace is committed, and removed afterwards."""
    with django_db_blocker.unblock():
        _drop()
        tenant = provision_tenant(
            slug=SLUG,
            name="Demo Data",
            owner_email="o@demo.example",
            owner_password=None,
            modules=["licensing"],
        ).tenant
        use_public_schema()
        yield tenant
        use_public_schema()
        _drop()
        fill_schema_pool(size=TEST_POOL_SIZE)
        use_public_schema()


def test_the_demo_marketplace_has_a_believable_history(committed_market, django_db_blocker):
    tenant = committed_market
    catalogue = CATALOGUES["byte-bazaar"]
    with django_db_blocker.unblock(), schema_context(tenant.schema_name):
        populate(catalogue, password="pw-demo-12345", seed=7, days=12)

        assert list(Category.objects.order_by("position").values_list("name", flat=True)) == [
            name for name, _ in catalogue.categories
        ]
        products = Product.objects.all()
        assert products.count() == sum(len(seller.products) for seller in catalogue.sellers)
        assert all(product.status == "published" for product in products)
        assert ProductImage.objects.values("product").distinct().count() == products.count()

        statuses = set(Order.objects.values_list("status", flat=True))
        assert OrderStatus.COMPLETED in statuses
        assert statuses & {OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED}
        first = Order.objects.aggregate(first=Min("created_at"))["first"]
        assert first < timezone.now() - timedelta(days=5)  # placed on their own dates
        # ... and booked in the ledger on those dates (dashboards chart the ledger)
        first_capture = JournalEntry.objects.filter(kind="capture").aggregate(
            first=Min("created_at")
        )["first"]
        assert first_capture < timezone.now() - timedelta(days=5)
        assert Review.objects.exists()
        assert ReviewReply.objects.count() <= Review.objects.count()
        assert Payout.objects.filter(status=PayoutStatus.PAID).exists()
        # paid out what was earned by then: what sold since is still owed to the sellers
        owed = [ledger.seller_balances(seller.pk)["available"] for seller in Seller.objects.all()]
        assert any(balance.get("USD", 0) > 0 for balance in owed), owed

        # Buyers and sellers talked: answered questions, one unanswered per seller, after-sale
        # help; the people they wrote to were notified.
        assert Conversation.objects.filter(product__isnull=False).count() >= 2 * len(
            catalogue.sellers
        )
        unread_sellers = Participant.objects.filter(role="seller", unread_count__gt=0)
        assert unread_sellers.values("conversation__seller").distinct().count() == len(
            catalogue.sellers
        )
        assert Message.objects.filter(read_at__isnull=False).exists()
        assert Notification.objects.filter(type_key="chat.message").exists()
        # One dispute waits for the seller, one was decided with a split.
        disputes = Dispute.objects.order_by("created_at")
        assert [d.status for d in disputes] == ["resolved", "pending"]
        decided = disputes[0]
        assert decided.refund_to_buyer > 0 and decided.release_to_seller > 0
        assert decided.refund_to_buyer + decided.release_to_seller == decided.frozen_amount
        # A newcomer's large first order waits in the operators' risk queue, paid and held.
        [held] = RiskAssessment.objects.filter(review_status=RiskReview.PENDING)
        assert "first_order_size" in str(held.reasons)
        held_order = Order.objects.get(pk=held.order_id)
        assert held_order.buyer.email == "viktor.brandt@demo.localhost"
        assert held_order.status == OrderStatus.PAID
    with django_db_blocker.unblock():
        assert set(ledger_totals(tenant).values()) == {0}


GIG_SLUG, GIG_SCHEMA = "demo-gigs", "t_demo_gigs"


@pytest.fixture
def committed_gig_market(django_db_setup: None, django_db_blocker: Any) -> Iterator[Tenant]:
    """A committed marketplace with gigs on (as Studio Row in `make demo`), removed after."""

    def drop() -> None:
        Domain.objects.filter(tenant__slug=GIG_SLUG).delete()
        Tenant.objects.filter(slug=GIG_SLUG).delete()
        drop_schema(GIG_SCHEMA)

    with django_db_blocker.unblock():
        drop()
        tenant = provision_tenant(
            slug=GIG_SLUG,
            name="Demo Gigs",
            owner_email="o@demo-gigs.example",
            owner_password=None,
            modules=["gigs"],
        ).tenant
        use_public_schema()
        yield tenant
        use_public_schema()
        drop()
        fill_schema_pool(size=TEST_POOL_SIZE)
        use_public_schema()


def test_the_gig_demo_shows_orders_in_every_state(committed_gig_market, django_db_blocker):
    """Studio Row's gigs: four studios whose gigs have three packages, extras, text/choice/
    file questions, an FAQ and a cover; gig orders bought through checkout (escrow) and
    taken by the gig services to each state the pages show, on believable past dates, with
    the books balanced. The demo's sellers and buyers sign in with the demo password."""
    from django.contrib.auth import authenticate

    from core.accounts.models import User
    from modules.gigs.demo import STUDIO_ROW, populate_gigs
    from modules.gigs.models import GigExtra, GigFaq, GigOrder, GigPackage, GigQuestion
    from modules.gigs.services.feedback import visible_feedback
    from modules.gigs.services.orders import lateness

    tenant = committed_gig_market
    with django_db_blocker.unblock(), schema_context(tenant.schema_name):
        orders = populate_gigs(STUDIO_ROW, password="pw-demo-12345", seed=3)
        now = timezone.now()

        gigs = Product.objects.filter(product_type="gig", status="published")
        assert gigs.count() == sum(len(studio.gigs) for studio in STUDIO_ROW.studios) >= 4
        for gig in gigs:
            tiers = list(GigPackage.objects.filter(product=gig).values_list("tier", flat=True))
            assert sorted(tiers) == ["basic", "premium", "standard"]
            assert GigExtra.objects.filter(product=gig).count() >= 2
            kinds = set(GigQuestion.objects.filter(product=gig).values_list("kind", flat=True))
            assert kinds == {"text", "choice", "file"}
            assert GigFaq.objects.filter(product=gig).exists()
            assert ProductImage.objects.filter(product=gig).exists()

        def fresh(name: str) -> GigOrder:
            return GigOrder.objects.get(pk=orders[name].pk)

        assert fresh("awaiting_requirements").status == "awaiting_requirements"
        in_progress = fresh("in_progress")
        assert in_progress.status == "in_progress" and in_progress.due_at is not None
        assert timedelta(days=1) < in_progress.due_at - now <= timedelta(days=2)
        assert lateness(fresh("late"), now) == "late"
        assert lateness(fresh("very_late"), now) == "very_late"
        delivered = fresh("delivered")
        assert delivered.status == "delivered" and delivered.auto_accept_at > now
        revision = fresh("revision_requested")
        assert revision.status == "revision_requested" and revision.revisions.count() == 1
        completed = fresh("completed_feedback")
        assert completed.status == "completed"
        published = visible_feedback(completed, viewer=None)  # double-blind, both gave theirs
        assert sorted(item.party for item in published) == ["buyer", "seller"]
        cancelled = fresh("cancelled")
        assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "mutual")
        milestones = fresh("milestones")
        assert milestones.status == "in_progress"
        assert list(milestones.milestones.order_by("number").values_list("status", flat=True)) == [
            "completed",
            "in_progress",
            "pending",
        ]
        disputed = fresh("dispute")
        assert disputed.status == "delivered"
        assert Dispute.objects.get(order_line_id=disputed.order_line_id).status == "pending"
        assert GigOrder.objects.filter(status="completed").count() >= 3

        # Bought through checkout, on their own dates; they talked about the work.
        assert all(order.created_at < now - timedelta(hours=12) for order in orders.values())
        assert Order.objects.filter(status=OrderStatus.COMPLETED).exists()  # escrow released
        assert Message.objects.filter(conversation__order_line__isnull=False).count() >= 10

        seller_owner = User.objects.get(email="north-mark@demo.localhost")
        buyer = User.objects.get(pk=fresh("in_progress").buyer_id)
        for user in (seller_owner, buyer):
            assert authenticate(email=user.email, password="pw-demo-12345") == user
    with django_db_blocker.unblock():
        assert set(ledger_totals(tenant).values()) == {0}
