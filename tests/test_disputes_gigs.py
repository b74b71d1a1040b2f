"""A dispute on a gig line (modules.gigs, escrow by default) decided "revision" with no money
moving: the escrow stays held, the freeze lifts, and the module's ``dispute_resolved`` hook
reopens delivery (the gig order asks for a revision again)."""

from __future__ import annotations

from django_tenants.utils import schema_context

from core.accounts.models import Role
from core.disputes import services
from core.payments import ledger
from modules.gigs.models import OrderStatus, RevisionRequest
from modules.gigs.tests.helpers import (
    answers_for,
    buy,
    deliver_link,
    make_gig_shop,
    make_gigs_tenant,
    refreshed,
    seller_client,
    signed_in,
)
from tests.accounts_helpers import call, make_user


def test_a_revision_decision_reopens_the_gig_and_keeps_its_escrow(
    make_tenant, client_for, django_capture_on_commit_callbacks
):
    shop = make_gig_shop(make_gigs_tenant(make_tenant))
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    answers = {"answers": answers_for(order)}
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", answers).status_code == 200
    seller = seller_client(client_for, shop.tenant, shop.seller)
    assert deliver_link(seller, refreshed(shop.tenant, order)).status_code == 200
    operator = make_user(shop.tenant, "op@example.com", role=Role.OPERATOR)
    with schema_context(shop.tenant.schema_name):
        dispute = services.open_dispute(
            user=shop.buyer, order_line_id=order.order_line_id, kind="quality", reason="Blurry"
        )
        held = dispute.frozen_amount
        assert held > 0
        services.resolve(
            operator=operator,
            dispute_id=dispute.pk,
            resolution_type="revision",
            refund_to_buyer=0,
            release_to_seller=0,
            platform_compensation=0,
            note="Sharpen the edges",
        )
        assert -ledger.balance(ledger.escrow(order.order_line_id), "USD").amount == held
        revision = RevisionRequest.objects.get(order_id=order.pk)
        assert (revision.is_from_dispute, revision.notes) == (True, "Sharpen the edges")
    assert refreshed(shop.tenant, order).status == OrderStatus.REVISION_REQUESTED
