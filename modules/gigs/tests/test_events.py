"""Gig events leave through the outbox: webhooks declared in the manifest reach the
seller's endpoint (a real local HTTP server) once, notifications reach whoever acts next
once per event; the auto-accept deadline fires once even when the worker that claimed it
died; nothing of it exists in another marketplace, and where the module is off its seller
API is gone too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django_tenants.utils import schema_context

from core.deadlines import conf
from core.deadlines.models import Deadline
from core.deadlines.sweep import SweepResult, claim_due, sweep_due_deadlines
from core.events import dispatch_pending
from core.integrations.models import DeliveryStatus
from core.integrations.tests.integration_helpers import (  # noqa: F401
    add_endpoint,
    deliveries_of,
    loopback_allowed_fixture,
    share_secret,
)
from core.integrations.tests.partner_server import partner_server_fixture  # noqa: F401
from core.notifications.models import Notification
from core.payments.models import EntryKind, JournalEntry
from modules.gigs.models import GigOrder, OrderStatus
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
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import call

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _dispatch(tenant, capture) -> None:
    with schema_context(tenant.schema_name), capture(execute=True):
        dispatch_pending()


def _notified(tenant, user) -> list[str]:
    with schema_context(tenant.schema_name):
        return list(
            Notification.objects.filter(user=user, type_key__startswith="gigs.")
            .order_by("id")
            .values_list("type_key", flat=True)
        )


def test_auto_accept_fires_once_after_its_worker_died_and_the_seller_hears_of_it_once(
    shop,
    client_for,
    loopback_allowed,
    partner_server,
    django_capture_on_commit_callbacks,
    time_machine,
):
    capture = django_capture_on_commit_callbacks
    endpoint = add_endpoint(
        shop.tenant, shop.seller, partner_server, "/hooks", ["gig.delivered", "gig.completed"]
    )
    share_secret(shop.tenant, shop.seller, partner_server)
    time_machine.move_to(T0, tick=False)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = buy(buyer, shop.tenant, shop.gig, capture)
    requirements = {"answers": answers_for(order)}
    assert (
        call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", requirements).status_code
        == 200
    )
    assert deliver_link(seller, order).status_code == 200
    _dispatch(shop.tenant, capture)
    auto_at = T0 + timedelta(days=3)

    with schema_context(shop.tenant.schema_name):
        assert sweep_due_deadlines(now=auto_at - timedelta(hours=24)).fired == 2  # 48 h, 24 h
        # A worker claims the auto-accept and dies before running it: nothing happened.
        claimed = claim_due(tasks=["gigs.auto_accept"], now=auto_at, size=10)
        assert len(claimed.claims) == 1
        assert GigOrder.objects.get(pk=order.pk).status == OrderStatus.DELIVERED
        lease_over = auto_at + conf.lease()
        assert sweep_due_deadlines(now=lease_over - timedelta(seconds=1)) == SweepResult()
        with capture(execute=True):
            assert sweep_due_deadlines(now=lease_over) == SweepResult(fired=1)
        assert sweep_due_deadlines(now=lease_over + timedelta(days=30)) == SweepResult()
        assert JournalEntry.objects.filter(kind=EntryKind.ESCROW_RELEASE).count() == 1
    _dispatch(shop.tenant, capture)
    _dispatch(shop.tenant, capture)  # the outbox run again sends nothing twice

    done = refreshed(shop.tenant, order)
    assert (done.status, done.is_auto_accepted) == (OrderStatus.COMPLETED, True)
    sent = deliveries_of(shop.tenant, endpoint)
    assert [(d.event_type, d.status) for d in sent] == [
        ("gig.delivered", DeliveryStatus.SUCCEEDED),
        ("gig.completed", DeliveryStatus.SUCCEEDED),
    ]
    assert len(partner_server.calls) == 2
    assert _notified(shop.tenant, shop.buyer) == [
        "gigs.delivered",
        "gigs.auto_accept_soon",
        "gigs.auto_accept_soon",
    ]
    with schema_context(shop.tenant.schema_name):
        owner = shop.seller.owner
    assert _notified(shop.tenant, owner) == [
        "gigs.order_placed",
        "gigs.requirements_submitted",
        "gigs.completed",
    ]


def test_gig_orders_and_their_timers_stay_in_their_marketplace(
    shop, make_tenant, client_for, django_capture_on_commit_callbacks
):
    other = make_gig_shop(make_gigs_tenant(make_tenant, "other-gig-market"))
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)

    # The same e-mail addresses exist in the other marketplace: their sessions reach nothing.
    other_buyer = signed_in(client_for, other.tenant, other.buyer)
    other_seller = seller_client(client_for, other.tenant, other.seller)
    assert call(other_buyer, "get", f"/gigs/orders/{order.pk}").status_code == 404
    assert call(other_buyer, "get", "/gigs/orders").json() == []
    assert call(other_seller, "get", f"/gigs/seller/orders/{order.pk}").status_code == 404
    assert call(other_seller, "get", "/gigs/seller/orders").json() == []
    with schema_context(other.tenant.schema_name):
        assert not GigOrder.objects.exists()
        assert not Deadline.objects.filter(key__startswith="gigs:").exists()
        assert sweep_due_deadlines(now=T0 + timedelta(days=400)) == SweepResult()
    with schema_context(shop.tenant.schema_name):
        assert Deadline.objects.filter(key__startswith=f"gigs:order:{order.pk}:").count() == 2


def test_where_the_module_is_turned_off_its_api_and_timers_stop(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    set_module_enabled(tenant=shop.tenant, key="gigs", is_enabled=False)

    assert call(buyer, "get", f"/gigs/orders/{order.pk}").status_code == 404
    assert call(buyer, "get", f"/gigs/listings/{shop.gig.pk}").status_code == 404
    assert call(seller, "get", "/gigs/seller/orders").status_code == 404
    refused = call(seller, "put", f"/gigs/seller/gigs/{shop.gig.pk}/faq", {"faq": []})
    assert refused.status_code == 404
    with schema_context(shop.tenant.schema_name):
        # Its deadlines wait, pending, until the module is on again.
        assert sweep_due_deadlines(now=T0 + timedelta(days=400)) == SweepResult()
    assert refreshed(shop.tenant, order).status == OrderStatus.AWAITING_REQUIREMENTS
