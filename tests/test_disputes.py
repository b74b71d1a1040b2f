"""Disputes (core/disputes): opening freezes the line's money, a decision splits it in one
balanced journal entry with the provider refund made once, appeals go to a different
operator, default outcomes fire once through core deadlines, chargebacks join the same
timeline, and nobody outside the dispute (another user, another marketplace) sees any of it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Sum
from django_tenants.utils import schema_context

from core.commerce.errors import CommerceError
from core.commerce.models import LineStatus, OrderLine, Refund
from core.commerce.services import cart as carts
from core.commerce.services.checkout import CheckoutInput, pay_order, place_order
from core.commerce.services.escrow import release_escrow
from core.commerce.services.fulfilment import fulfil_line
from core.deadlines import conf
from core.deadlines.models import Deadline, DeadlineStatus
from core.deadlines.sweep import claim_due, sweep_due_deadlines
from core.disputes import services
from core.disputes.errors import DisputeError, DisputeErrorCode
from core.disputes.models import Dispute, DisputeEvent, DisputeStatus
from core.payments import ledger
from core.payments.models import EntryKind, JournalEntry, JournalLine
from core.payments.providers.sandbox import SUCCESS_CARD
from tests.accounts_helpers import make_user
from tests.catalog_helpers import make_product, make_seller
from tests.commerce_helpers import make_shop

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def shop(tenant_b):
    shop = make_shop(tenant_b)
    consultant = make_seller(tenant_b, "sage", "Sage Advice", product_types=("software", "service"))
    shop.audit = make_product(
        tenant_b, consultant, "Security Audit", price=10_000, product_type="service"
    )
    shop.consultant = consultant
    return shop


def buy(shop: Any, product: Any, buyer: Any = None) -> OrderLine:
    """A paid order of one ``product`` (through the checkout services); its line."""
    buyer = buyer or shop.buyer
    cart = carts.get_or_create_cart(buyer=buyer, token=None)
    carts.add_product(cart=cart, product_id=product.pk, quantity=1)
    order = place_order(
        buyer=buyer,
        cart=cart,
        details=CheckoutInput(country="DE"),
        idempotency_key=uuid.uuid4().hex,
    )
    pay_order(order=order, payment_method=SUCCESS_CARD)
    return OrderLine.objects.get(order=order)


def operator(tenant, email="op@example.com"):
    from core.accounts.models import Role

    return make_user(tenant, email, role=Role.OPERATOR)


def books_balance():
    unbalanced = (
        JournalLine.objects.values("entry_id", "currency")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
    )
    assert list(unbalanced) == []


def balance(account):
    return -ledger.balance(account, "USD").amount


# --- money ------------------------------------------------------------------------------------


def test_an_escrowed_line_is_frozen_and_a_split_is_one_balanced_entry(shop):
    op = operator(shop.tenant)
    with schema_context(shop.tenant.schema_name):
        line = buy(shop, shop.audit)
        assert line.is_escrow and balance(ledger.escrow(line.pk)) == 9000
        dispute = services.open_dispute(
            user=shop.buyer, order_line_id=line.pk, kind="quality", reason="Half done"
        )
        assert (dispute.frozen_account, dispute.frozen_amount) == (ledger.escrow(line.pk), 9000)
        with pytest.raises(CommerceError, match="disputed"):
            release_escrow(order_line_id=line.pk, reference="accepted")

        services.resolve(
            operator=op,
            dispute_id=dispute.pk,
            resolution_type="refund",
            refund_to_buyer=6000,
            release_to_seller=3000,
            platform_compensation=500,
        )
        entries = JournalEntry.objects.filter(kind=EntryKind.DISPUTE_RESOLUTION)
        assert [e.reference for e in entries] == [f"dispute:{dispute.pk}"]
        books_balance()
        assert balance(ledger.escrow(line.pk)) == 0
        assert balance(ledger.seller_payable(shop.consultant.pk)) == 3000
        assert balance(ledger.PLATFORM_FEES) == 1000 - 500
        line.refresh_from_db()
        assert line.refunded_amount == 6500
        assert Refund.objects.get().amount == 6500
        # Retried with the same split: nothing more moves, no second refund.
        services.resolve(
            operator=op,
            dispute_id=dispute.pk,
            resolution_type="refund",
            refund_to_buyer=6000,
            release_to_seller=3000,
            platform_compensation=500,
        )
        assert Refund.objects.count() == 1
        assert JournalEntry.objects.filter(kind=EntryKind.DISPUTE_RESOLUTION).count() == 1
        kinds = list(DisputeEvent.objects.filter(dispute=dispute).values_list("kind", flat=True))
        assert kinds == ["opened", "resolved"]


@pytest.mark.parametrize(
    "split",
    [(9001, 0, 0), (5000, 3000, 0), (9000, 0, 1001), (-1, 9001, 0)],
)
def test_a_split_that_does_not_match_what_the_line_holds_moves_nothing(shop, split):
    op = operator(shop.tenant)
    with schema_context(shop.tenant.schema_name):
        line = buy(shop, shop.audit)
        dispute = services.open_dispute(
            user=shop.buyer, order_line_id=line.pk, kind="quality", reason="x"
        )
        before = JournalLine.objects.count()
        with pytest.raises(DisputeError) as refused:
            services.resolve(
                operator=op,
                dispute_id=dispute.pk,
                resolution_type="refund",
                refund_to_buyer=split[0],
                release_to_seller=split[1],
                platform_compensation=split[2],
            )
        assert refused.value.code == DisputeErrorCode.INVALID_SPLIT
        assert JournalLine.objects.count() == before
        assert Dispute.objects.get(pk=dispute.pk).status == DisputeStatus.PENDING


def test_a_paid_seller_share_moves_into_a_dispute_hold_up_to_the_balance(shop):
    op = operator(shop.tenant)
    with schema_context(shop.tenant.schema_name):
        line = buy(shop, shop.editor)
        if line.status != LineStatus.FULFILLED:
            assert fulfil_line(line_id=line.pk)
        line.refresh_from_db()
        payable = balance(ledger.seller_payable(shop.seller_one.pk))
        assert payable == line.seller_net
        dispute = services.open_dispute(
            user=shop.buyer, order_line_id=line.pk, kind="quality", reason="broken"
        )
        hold = ledger.dispute_hold(dispute.pk)
        assert dispute.frozen_amount == line.seller_net
        assert balance(hold) == line.seller_net
        assert balance(ledger.seller_payable(shop.seller_one.pk)) == 0
        services.resolve(
            operator=op,
            dispute_id=dispute.pk,
            resolution_type="refund",
            refund_to_buyer=line.seller_net,
            release_to_seller=0,
            platform_compensation=line.total - line.seller_net,
        )
        books_balance()
        assert balance(hold) == 0
        line.refresh_from_db()
        assert line.refunded_amount == line.total


# --- rules ------------------------------------------------------------------------------------


def test_only_the_buyer_of_the_line_may_open_and_only_once(shop):
    with schema_context(shop.tenant.schema_name):
        line = buy(shop, shop.audit)
        stranger = make_user(shop.tenant, "stranger@example.com")
        with pytest.raises(DisputeError) as refused:
            services.open_dispute(user=stranger, order_line_id=line.pk, kind="quality", reason="")
        assert refused.value.code == DisputeErrorCode.DISPUTE_NOT_FOUND
        first = services.open_dispute(
            user=shop.buyer, order_line_id=line.pk, kind="quality", reason="a"
        )
        again = services.open_dispute(
            user=shop.buyer, order_line_id=line.pk, kind="quality", reason="a"
        )
        assert again.pk == first.pk
        with pytest.raises(DisputeError) as twice:
            services.open_dispute(
                user=shop.buyer, order_line_id=line.pk, kind="delivery", reason=""
            )
        assert twice.value.code == DisputeErrorCode.ALREADY_DISPUTED
        assert Dispute.objects.count() == 1


def test_claims_are_allowed_only_within_the_claim_window_after_completion(shop):
    with schema_context(shop.tenant.schema_name):
        line = buy(shop, shop.audit)
        release_escrow(order_line_id=line.pk, reference="accepted")
        line.refresh_from_db()
        assert line.completed_at is not None
        late = line.completed_at + timedelta(days=14, minutes=1)
        with pytest.raises(DisputeError) as refused:
            services.open_dispute(
                user=shop.buyer, order_line_id=line.pk, kind="quality", reason="", now=late
            )
        assert refused.value.code == DisputeErrorCode.CLAIM_WINDOW_CLOSED
        on_time = line.completed_at + timedelta(days=13)
        dispute = services.open_dispute(
            user=shop.buyer, order_line_id=line.pk, kind="quality", reason="", now=on_time
        )
        # Already released to the seller: their payable is held instead.
        assert dispute.frozen_account == ledger.dispute_hold(dispute.pk)
        assert dispute.frozen_amount == 9000


def test_an_appeal_is_decided_by_a_different_operator_once(shop):
    first_op = operator(shop.tenant, "first@example.com")
    second_op = operator(shop.tenant, "second@example.com")
    with schema_context(shop.tenant.schema_name):
        line = buy(shop, shop.audit)
        dispute = services.open_dispute(
            user=shop.buyer, order_line_id=line.pk, kind="quality", reason="x"
        )
        services.resolve(
            operator=first_op,
            dispute_id=dispute.pk,
            resolution_type="refund",
            refund_to_buyer=2000,
            release_to_seller=7000,
            platform_compensation=0,
        )
        services.appeal(user=shop.buyer, dispute_id=dispute.pk, text="Not enough")
        with pytest.raises(DisputeError) as same:
            services.decide_appeal(operator=first_op, dispute_id=dispute.pk, upheld=False)
        assert same.value.code == DisputeErrorCode.SAME_OPERATOR
        services.decide_appeal(
            operator=second_op, dispute_id=dispute.pk, upheld=False, compensation=1000
        )
        dispute.refresh_from_db()
        assert dispute.status == DisputeStatus.CLOSED
        assert dispute.appeal_decided_by_id == second_op.pk
        books_balance()
        line.refresh_from_db()
        assert line.refunded_amount == 3000
        with pytest.raises(DisputeError) as again:
            services.appeal(user=shop.consultant.owner, dispute_id=dispute.pk, text="me too")
        assert again.value.code == DisputeErrorCode.APPEAL_NOT_ALLOWED


def test_an_appeal_after_the_window_is_refused_and_the_window_closes_the_dispute(shop):
    op = operator(shop.tenant)
    with schema_context(shop.tenant.schema_name):
        line = buy(shop, shop.audit)
        dispute = services.open_dispute(
            user=shop.buyer, order_line_id=line.pk, kind="quality", reason="x"
        )
        dispute = services.resolve(
            operator=op,
            dispute_id=dispute.pk,
            resolution_type="none",
            refund_to_buyer=0,
            release_to_seller=9000,
            platform_compensation=0,
        )
        after = dispute.appeal_by + timedelta(seconds=1)
        with pytest.raises(DisputeError):
            services.appeal(user=shop.buyer, dispute_id=dispute.pk, text="late", now=after)
        assert sweep_due_deadlines(now=after).fired == 1
        assert sweep_due_deadlines(now=after + timedelta(days=1)).fired == 0
        dispute.refresh_from_db()
        assert dispute.status == DisputeStatus.CLOSED
        assert balance(ledger.seller_payable(shop.consultant.pk)) == 9000


# --- default outcomes ---------------------------------------------------------------------------


def test_silence_gives_the_buyer_a_full_refund_once_even_after_a_worker_died(shop):
    with schema_context(shop.tenant.schema_name):
        line = buy(shop, shop.audit)
        dispute = services.open_dispute(
            user=shop.buyer, order_line_id=line.pk, kind="delivery", reason="nothing came"
        )
        due = dispute.respond_by
        assert sweep_due_deadlines(now=due - timedelta(seconds=1)).fired == 0
        # A worker claims the deadline and dies before firing it: nothing is committed.
        batch = claim_due(tasks=[services.RESPOND_TASK], now=due, size=10)
        assert len(batch.claims) == 1
        row = Deadline.objects.get(key=services.respond_key(dispute.pk))
        assert row.status == DeadlineStatus.RUNNING
        assert sweep_due_deadlines(now=due + timedelta(seconds=1)).fired == 0  # still leased
        lease_over = due + conf.lease()
        assert sweep_due_deadlines(now=lease_over).fired == 1
        assert sweep_due_deadlines(now=lease_over + timedelta(days=1)).fired == 0
        dispute.refresh_from_db()
        assert dispute.status == DisputeStatus.RESOLVED and dispute.is_default_outcome
        assert Refund.objects.count() == 1
        line.refresh_from_db()
        assert line.refunded_amount == line.total
        assert JournalEntry.objects.filter(kind=EntryKind.DISPUTE_RESOLUTION).count() == 1
        books_balance()


def test_an_answer_from_the_seller_stops_the_default_outcome(shop):
    with schema_context(shop.tenant.schema_name):
        line = buy(shop, shop.audit)
        dispute = services.open_dispute(
            user=shop.buyer, order_line_id=line.pk, kind="delivery", reason="nothing came"
        )
        services.add_comment(
            user=shop.consultant.owner, dispute_id=dispute.pk, text="Delivered on Monday"
        )
        assert sweep_due_deadlines(now=dispute.respond_by + timedelta(hours=1)).fired == 0
        dispute.refresh_from_db()
        assert dispute.status == DisputeStatus.PENDING


def test_every_state_change_is_a_timeline_event_and_a_notification_with_the_right_link(shop):
    from core.notifications.models import Notification

    op = operator(shop.tenant)
    with schema_context(shop.tenant.schema_name):
        line = buy(shop, shop.audit)
        dispute = services.open_dispute(
            user=shop.buyer, order_line_id=line.pk, kind="quality", reason="x"
        )
        seller_owner = shop.consultant.owner
        opened = Notification.objects.get(user=seller_owner, type_key="dispute.opened")
        assert opened.url == f"/studio/disputes/{dispute.pk}/"
        services.take_for_review(operator=op, dispute_id=dispute.pk)
        services.resolve(
            operator=op,
            dispute_id=dispute.pk,
            resolution_type="refund",
            refund_to_buyer=9000,
            release_to_seller=0,
            platform_compensation=0,
        )
        services.appeal(user=seller_owner, dispute_id=dispute.pk, text="Delivered in full")
        kinds = list(DisputeEvent.objects.filter(dispute=dispute).values_list("kind", flat=True))
        assert kinds == ["opened", "in_review", "resolved", "appealed"]
        resolved = Notification.objects.get(user=shop.buyer, type_key="dispute.resolved")
        assert resolved.url == f"/disputes/{dispute.pk}/"
        assert Notification.objects.filter(user=seller_owner, type_key="dispute.resolved").exists()
        appealed = Notification.objects.get(user=op, type_key="dispute.appealed")
        assert appealed.url == f"/operator/disputes/{dispute.pk}/"
        # Nobody outside the dispute hears of it.
        assert not Notification.objects.filter(user=shop.seller_one.owner).exists()
        # The dispute is in the buyer-seller conversation, with the operator who took it.
        from core.conversations.models import Message, Participant

        dispute.refresh_from_db()
        assert dispute.conversation_id is not None
        system = Message.objects.filter(conversation_id=dispute.conversation_id, kind="system")
        assert [m.data.get("dispute_id") for m in system] == [dispute.pk, dispute.pk]
        assert Participant.objects.filter(
            conversation_id=dispute.conversation_id, user=op, role="operator"
        ).exists()


def test_a_revision_moves_no_money_and_lifts_the_freeze(shop):
    op = operator(shop.tenant)
    with schema_context(shop.tenant.schema_name):
        line = buy(shop, shop.audit)
        dispute = services.open_dispute(
            user=shop.buyer, order_line_id=line.pk, kind="quality", reason="redo it"
        )
        before = JournalLine.objects.count()
        services.resolve(
            operator=op,
            dispute_id=dispute.pk,
            resolution_type="revision",
            refund_to_buyer=0,
            release_to_seller=0,
            platform_compensation=0,
        )
        assert JournalLine.objects.count() == before
        assert balance(ledger.escrow(line.pk)) == 9000
        # The module may release the escrow again once the revision is accepted.
        assert release_escrow(order_line_id=line.pk, reference="accepted") == 9000
        # A revision with amounts is held to the same split rules as any decision.
        other = buy(shop, shop.audit)
        second = services.open_dispute(
            user=shop.buyer, order_line_id=other.pk, kind="quality", reason="x"
        )
        with pytest.raises(DisputeError) as off:
            services.resolve(
                operator=op,
                dispute_id=second.pk,
                resolution_type="revision",
                refund_to_buyer=100,
                release_to_seller=0,
                platform_compensation=0,
            )
        assert off.value.code == DisputeErrorCode.INVALID_SPLIT


def test_a_revision_on_a_held_payable_gives_it_back_to_the_seller(shop):
    op = operator(shop.tenant)
    with schema_context(shop.tenant.schema_name):
        line = buy(shop, shop.audit)
        release_escrow(order_line_id=line.pk, reference="accepted")
        dispute = services.open_dispute(
            user=shop.buyer, order_line_id=line.pk, kind="quality", reason="redo it"
        )
        assert balance(ledger.seller_payable(shop.consultant.pk)) == 0
        services.resolve(
            operator=op,
            dispute_id=dispute.pk,
            resolution_type="revision",
            refund_to_buyer=0,
            release_to_seller=0,
            platform_compensation=0,
        )
        assert balance(ledger.seller_payable(shop.consultant.pk)) == 9000
        assert balance(ledger.dispute_hold(dispute.pk)) == 0
        books_balance()


def test_a_lost_chargeback_during_a_held_line_dispute_charges_the_seller_once(
    shop, django_capture_on_commit_callbacks
):
    """The seller was paid for the line (released), the buyer disputed it (their share held),
    then the buyer's bank took the payment back: the seller gives the line's share back once,
    not once from the hold and again from what they are owed."""
    from core.commerce.models import Payment
    from core.commerce.services.payment_events import on_dispute_closed, on_dispute_opened

    with schema_context(shop.tenant.schema_name):
        line = buy(shop, shop.audit)
        release_escrow(order_line_id=line.pk, reference="accepted")
        earned = balance(ledger.seller_payable(shop.consultant.pk))
        assert earned == line.seller_net
        with django_capture_on_commit_callbacks(execute=True):
            dispute = services.open_dispute(
                user=shop.buyer, order_line_id=line.pk, kind="quality", reason="not as sold"
            )
        assert balance(ledger.dispute_hold(dispute.pk)) == earned
        assert balance(ledger.seller_payable(shop.consultant.pk)) == 0

        payment = Payment.objects.get(order_id=line.order_id)
        with django_capture_on_commit_callbacks(execute=True):
            on_dispute_opened(provider=payment.provider, reference=payment.reference, event_id="e1")
        with django_capture_on_commit_callbacks(execute=True):
            on_dispute_closed(
                provider=payment.provider, reference=payment.reference, is_won=False, event_id="e2"
            )
        # Events reach the disputes consumer through the outbox.
        from core.events import dispatch_pending

        with django_capture_on_commit_callbacks(execute=True):
            dispatch_pending()

        dispute.refresh_from_db()
        assert dispute.status == DisputeStatus.CLOSED
        assert balance(ledger.dispute_hold(dispute.pk)) == 0
        # Paid once for the line, given back once: nothing owed either way.
        assert balance(ledger.seller_payable(shop.consultant.pk)) == 0
        assert DisputeEvent.objects.filter(dispute=dispute, kind="closed").count() == 1
        # The seller's deadline to answer is gone: no default outcome can pay the buyer again.
        assert Deadline.objects.get(key=services.respond_key(dispute.pk)).status == (
            DeadlineStatus.CANCELLED
        )
        books_balance()
