"""The ledger's invariants: enforced by the database (balanced entries, append-only rows), and
kept by every money-moving service under a hypothesis-driven sequence of checkouts, captures,
partial and full refunds, payouts and failures."""

from __future__ import annotations

import contextlib
import uuid

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Sum
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.commerce.errors import CommerceError
from core.commerce.models import LineStatus, Order, OrderLine, OrderStatus, Refund
from core.commerce.services import cart as carts
from core.commerce.services.checkout import CheckoutInput, pay_order, place_order
from core.commerce.services.fulfilment import fulfil_line
from core.commerce.services.refunds import LineRefund, refund_order
from core.money import Money
from core.payments import ledger
from core.payments.errors import PaymentError
from core.payments.ledger import credit, debit
from core.payments.models import (
    EntryKind,
    JournalEntry,
    JournalLine,
    Payout,
    PayoutStatus,
    SellerPaymentAccount,
)
from core.payments.providers.sandbox import DECLINED_CARD, SUCCESS_CARD
from core.payments.services.payouts import request_payout
from tests.accounts_helpers import make_user
from tests.commerce_helpers import make_shop


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def test_an_unbalanced_entry_is_refused_by_the_database(shop):
    with schema_context(shop.tenant.schema_name):
        with pytest.raises(IntegrityError, match="unbalanced"), transaction.atomic():
            entry = JournalEntry.objects.create(kind=EntryKind.CAPTURE, reference="raw")
            JournalLine.objects.create(
                entry=entry, account="provider_cash", currency="USD", amount=100
            )
            # The check is deferred to commit; make it run now.
            connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
        assert not JournalEntry.objects.exists()


def test_a_balanced_entry_in_two_statements_is_accepted(shop):
    with schema_context(shop.tenant.schema_name):
        entry = JournalEntry.objects.create(kind=EntryKind.CAPTURE, reference="two")
        JournalLine.objects.create(entry=entry, account="provider_cash", currency="USD", amount=100)
        JournalLine.objects.create(
            entry=entry, account="buyer_clearing:1", currency="USD", amount=-100
        )
        connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_journal_rows_can_never_be_updated_or_deleted(shop):
    with schema_context(shop.tenant.schema_name):
        ledger.post_entry(
            kind=EntryKind.CAPTURE,
            reference="x",
            postings=[
                debit("provider_cash", Money(5, "USD")),
                credit("buyer_clearing:9", Money(5, "USD")),
            ],
        )
        for statement in (
            "UPDATE payments_journalline SET amount = amount * 2",
            "DELETE FROM payments_journalline",
            "UPDATE payments_journalentry SET reference = 'y'",
            "DELETE FROM payments_journalentry",
        ):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                connection.cursor().execute(statement)
        assert JournalLine.objects.aggregate(total=Sum("amount"))["total"] == 0
        assert JournalLine.objects.count() == 2


def test_post_entry_refuses_unbalanced_postings_and_books_each_event_once(shop):
    with schema_context(shop.tenant.schema_name):
        with pytest.raises(PaymentError):
            ledger.post_entry(
                kind=EntryKind.CAPTURE,
                reference="bad",
                postings=[debit("provider_cash", Money(1, "USD"))],
            )
        postings = [
            debit("provider_cash", Money(7, "EUR")),
            credit("buyer_clearing:1", Money(7, "EUR")),
        ]
        assert ledger.post_entry(kind=EntryKind.CAPTURE, reference="once", postings=postings)
        assert (
            ledger.post_entry(kind=EntryKind.CAPTURE, reference="once", postings=postings) is None
        )
        assert JournalEntry.objects.count() == 1


def test_the_ledger_functions_are_in_pool_and_cloned_schemas_too(shop, make_tenant):
    """Every tenant schema carries the triggers, however it was made."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(DISTINCT event_object_schema) FROM information_schema.triggers "
            "WHERE trigger_name = 'journal_line_append_only'"
        )
        schemas_with_trigger = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'payments_journalline'"
        )
        schemas_with_table = cursor.fetchone()[0]
    assert schemas_with_trigger == schemas_with_table


# --- invariants under random sequences ----------------------------------------------------

operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("checkout"),
            st.lists(st.tuples(st.integers(0, 1), st.integers(1, 3)), min_size=1, max_size=3),
            st.booleans(),
        ),
        st.tuples(st.just("fulfil"), st.integers(0, 50)),
        st.tuples(st.just("refund"), st.integers(0, 50), st.integers(1, 100)),
        st.tuples(st.just("refund_all"), st.integers(0, 50)),
        st.tuples(st.just("payout"), st.integers(0, 1), st.booleans()),
    ),
    min_size=1,
    max_size=12,
)


def _checkout(shop, items, pays):
    buyer = make_user(shop.tenant, f"{uuid.uuid4().hex[:10]}@example.com")
    cart = carts.get_or_create_cart(buyer=buyer, token=None)
    products = [shop.editor, shop.scanner]
    for index, quantity in items:
        carts.add_product(cart=cart, product_id=products[index].pk, quantity=quantity)
    order = place_order(
        buyer=buyer, cart=cart, details=CheckoutInput(country="DE"), idempotency_key="k"
    )
    pay_order(order=order, payment_method=SUCCESS_CARD if pays else DECLINED_CARD)


def _pick(queryset, index):
    rows = list(queryset.order_by("pk"))
    return rows[index % len(rows)] if rows else None


def _apply(shop, operation):
    kind = operation[0]
    if kind == "checkout":
        _checkout(shop, operation[1], operation[2])
    elif kind == "fulfil":
        line = _pick(OrderLine.objects.filter(status=LineStatus.FULFILLING), operation[1])
        if line is not None:
            assert fulfil_line(line_id=line.pk)
    elif kind in ("refund", "refund_all"):
        line = _pick(
            OrderLine.objects.exclude(
                order__status__in=[OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED]
            ),
            operation[1],
        )
        if line is None or line.refunded_amount == line.total:
            return
        left = line.total - line.refunded_amount
        amount = None if kind == "refund_all" else max(1, left * operation[2] // 100)
        refund_order(
            order_id=line.order_id,
            lines=[LineRefund(line.pk, amount)],
            reason="test",
            idempotency_key=uuid.uuid4().hex,
            actor=None,
            actor_label="test",
        )
    elif kind == "payout":
        seller = [shop.seller_one, shop.seller_two][operation[1]]
        reference = "acct_sandbox_fail" if operation[2] else "acct_sandbox_ok"
        SellerPaymentAccount.objects.update_or_create(
            seller=seller, defaults={"provider": "sandbox", "reference": reference}
        )
        # Nothing available is refused and books nothing.
        with contextlib.suppress(PaymentError):
            request_payout(seller=seller, currency="USD", run_key=uuid.uuid4().hex)


def _check_invariants(shop):
    unbalanced = (
        JournalLine.objects.values("entry_id", "currency")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
    )
    assert list(unbalanced) == []
    assert JournalLine.objects.aggregate(total=Sum("amount"))["total"] in (None, 0)
    by_account = dict(JournalLine.objects.values_list("account").annotate(total=Sum("amount")))
    for account, total in by_account.items():
        kind = account.split(":")[0]
        if kind == "provider_cash":
            assert total >= 0, (account, total)  # we never hand out more than we took
        elif kind in (
            "buyer_clearing",
            "escrow",
            "tax_payable",
            "platform_fees",
            "payouts_in_transit",
        ):
            assert total <= 0, (account, total)  # liabilities and revenue never flip
    refunds = dict(Refund.objects.values_list("order_id").annotate(total=Sum("amount")).order_by())
    for order_id, total, refunded_total in Order.objects.exclude(
        status__in=[OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED]
    ).values_list("pk", "total", "refunded_total"):
        refunded = refunds.get(order_id, 0)
        assert refunded_total == refunded <= total
        # What the buyer's clearing account still holds never exceeds what is left to earn.
        assert -by_account.get(ledger.buyer_clearing(order_id), 0) <= total - refunded
    # Cash at the provider is exactly: captured, minus refunded, minus payouts it settled,
    # plus what reversed transfers took back from sellers.
    captured = sum(Order.objects.exclude(paid_at=None).values_list("total", flat=True))
    refunded_out = Refund.objects.aggregate(total=Sum("amount"))["total"] or 0
    settled = (
        Payout.objects.filter(status=PayoutStatus.PAID).aggregate(total=Sum("amount"))["total"] or 0
    )
    reversed_back = (
        JournalLine.objects.filter(
            account=ledger.PROVIDER_CASH, entry__kind=EntryKind.TRANSFER_REVERSAL
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    assert by_account.get("provider_cash", 0) == captured - refunded_out - settled + reversed_back


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_every_sequence_of_money_operations_keeps_the_books_balanced(shop, steps):
    with schema_context(shop.tenant.schema_name), transaction.atomic():
        for step in steps:
            before = (JournalLine.objects.count(), Order.objects.count(), Refund.objects.count())
            try:
                with transaction.atomic():
                    _apply(shop, step)
            except CommerceError:
                # Refused input (e.g. nothing left to refund) wrote nothing.
                after = (JournalLine.objects.count(), Order.objects.count(), Refund.objects.count())
                assert after == before, step
            _check_invariants(shop)
        transaction.set_rollback(True)  # the next example starts from the same shop
